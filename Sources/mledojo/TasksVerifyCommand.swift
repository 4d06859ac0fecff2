import ArgumentParser
import Foundation
import Generator
import ReActAgent
import Wire

/// `mledojo tasks verify`: the generator's whole verification on existing task folders.
struct TasksVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run the generator's whole verification on task folders: assertions, review, execution validation.",
        discussion: """
            For each folder: the assertions (every named check of `mledojo tasks check`), the review's leakage \
            probes (a feature that nearly solves the task alone, the row order or id telling the label, a target \
            recomputable from the features, near-duplicates across the split), then execution validation: the \
            baseline agent plays the task in a private server and must beat the random sample submission and the \
            weak reference by the metric's margin. Prints a verdict per stage with every defect (--json for a \
            report). Only the folder's prepared data/ is written. Exits 1 when any task fails. The folders' code \
            (prepare, metric) runs in the bubblewrap sandbox, since a package may come from an LLM, and a task \
            an LLM wrote (task.json generated.designer "llm") is graded by the server's sandboxed grader.
            """)

    @Argument(help: "Task folders.")
    var folders: [String]
    @Flag(help: "Print JSON instead of lines.")
    var json = false
    @Option(help: "Python virtual environment.")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package.")
    var runtime = "python"
    @OptionGroup(title: "The sandbox of the folders' code")
    var sandboxOptions: SandboxOptions

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("name at least one task folder") }
        for folder in folders where !FileManager.default.fileExists(atPath: ProjectPaths.resolve(folder).path) {
            throw ValidationError("no such folder: \(folder)")
        }
    }

    func run() async throws {
        let host = PythonModule(python: ProjectPaths.resolve(venv).appending(path: "bin/python"), runtime: ProjectPaths.resolve(runtime))
        let python: PythonModule
        let resources: AgentResources
        do {
            python = host.confined(by: try await sandboxOptions.commands(venv: ProjectPaths.resolve(venv), runtime: host.runtime))
            resources = try AgentResources.locate()
        } catch {
            Console.error("mledojo tasks verify: \(error)")
            throw ExitCode(2)
        }
        let verifier = TaskVerifier(assertions: .assertions(python), review: .review(python),
                                    validator: ExecutionValidator(python: python, venv: ProjectPaths.resolve(venv), resources: resources,
                                                                  updatesManifest: false))
        var reports: [JSONValue] = []
        var allPassed = true
        for folder in folders.map({ ProjectPaths.resolve($0).standardizedFileURL }) {
            let stages = await verifier.verify(folder)
            let passed = !stages.contains { if case .failed = $0.result.outcome { true } else { false } }
            allPassed = allPassed && passed
            if !json {
                Console.line("\(passed ? "PASS" : "FAIL")  \(folder.lastPathComponent)  (\(folder.path))")
                for entry in stages {
                    Console.line("  \(entry.result.outcome.name.padding(toLength: 8, withPad: " ", startingAt: 0))"
                        + "\(entry.stage.rawValue) (\(String(format: "%.1f", entry.seconds)) s)\(Self.why(entry.result.outcome))")
                }
            }
            reports.append([
                "path": .string(folder.path), "ok": .bool(passed),
                "stages": .array(stages.map { entry in
                    var defects: [JSONValue] = []
                    if case .failed(let found) = entry.result.outcome { defects = found.map(\.json) }
                    return ["stage": .string(entry.stage.rawValue), "outcome": .string(entry.result.outcome.name),
                            "seconds": .number((entry.seconds * 100).rounded() / 100), "defects": .array(defects), "detail": entry.result.detail]
                }),
            ])
        }
        if json { Console.line(JSONValue.object(["tasks": .array(reports)]).encodedString()) }
        if !allPassed { throw ExitCode(1) }
    }

    private static func why(_ outcome: CandidatePipeline.Outcome) -> String {
        switch outcome {
        case .passed: return ""
        case .skipped(let reason): return ": \(reason)"
        case .failed(let defects): return defects.map { "\n            \($0.check): \($0.message.prefix(300))" }.joined()
        }
    }
}
