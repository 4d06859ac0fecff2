import ArgumentParser
import ReActAgent

/// `mledojo agent`: the budgeted ReAct validation agent (run is the default subcommand) and the export of its trajectories.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the budgeted ReAct agent on a task (execution validation), or export its trajectories.",
        discussion: """
            `mledojo agent --task ID ...` is `mledojo agent run --task ID ...`. See protocol/agent.md for the loop, \
            the verdict rules, the trajectory database and the export format.
            """,
        subcommands: [AgentRunCommand.self, AgentExportCommand.self],
        defaultSubcommand: AgentRunCommand.self)
}

/// Which policy plays an episode.
enum PolicyOption: String, ExpressibleByArgument, CaseIterable {
    case baseline
    case llm
    /// Submits the task's sample submission as is (the random reference as a player).
    case sample
}

extension ActionFormat: ExpressibleByArgument {}

/// Export formats of `mledojo agent export`.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    /// Our chat format (protocol/schemas/trajectory.jsonl.json).
    case jsonl
    /// Harbor's Agent Trajectory Interchange Format, ATIF-v1.7 (protocol/schemas/trajectory.atif.json).
    case atif
}
