import ArgumentParser

/// The `mledojo` command line: serve tasks, inspect them, and (later) run agents and the generator.
@main
struct MLEDojoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mledojo",
        abstract: "An environment server for machine-learning-engineering agents (protocol v1 over ZeroMQ).",
        subcommands: [ServeCommand.self, HealthCommand.self, TasksCommand.self, GenerateCommand.self, DoctorCommand.self, BenchCommand.self, AgentCommand.self, EvalCommand.self])
}
