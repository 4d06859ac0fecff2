import ArgumentParser
import Foundation
import ReActAgent

/// `mledojo agent export`: stored runs as chat-format trajectories.
struct AgentExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the stored runs as chat-format trajectories (JSON Lines), ready for SFT or RL.",
        discussion: """
            One JSON object per finished run: {"messages": [{"role", "content"}, ...], "rewards": [...], "actions", \
            "scores", "task", "verdict", "reasons", scores, tokens, cost}. Schema: \
            protocol/schemas/trajectory.jsonl.json; described in protocol/agent.md. With --format atif, one \
            Harbor ATIF-v1.7 trajectory document per line instead (system, user and agent steps; the action as \
            a tool call; reward, score and verdict in the `extra` objects). Schema: \
            protocol/schemas/trajectory.atif.json.
            """)

    @Option(help: "Output format.")
    var format: ExportFormat = .jsonl
    @Option(help: "The agent's trajectory database (SQLite).")
    var db = "var/agent.sqlite"
    @Option(help: "Output file (default: standard output).")
    var out: String?
    @Option(help: "Only the runs of this task.")
    var task: String?

    func run() async throws {
        let path = ProjectPaths.resolve(db).path
        guard FileManager.default.fileExists(atPath: path) else {
            Console.error("mledojo agent export: no database at \(path)")
            throw ExitCode(2)
        }
        let lines: [String]
        do {
            let store = try TrajectoryStore(path: path)
            switch format {
            case .jsonl: lines = try await TrajectoryExporter.lines(from: store, task: task)
            case .atif: lines = try await ATIFExporter.lines(from: store, task: task)
            }
        } catch {
            Console.error("mledojo agent export: \(error)")
            throw ExitCode(2)
        }
        let text = lines.map { $0 + "\n" }.joined()
        if let out {
            let file = ProjectPaths.resolve(out)
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file)
            } catch {
                Console.error("mledojo agent export: cannot write \(file.path): \(error)")
                throw ExitCode(2)
            }
            Console.error("wrote \(lines.count) trajectories to \(file.path)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
