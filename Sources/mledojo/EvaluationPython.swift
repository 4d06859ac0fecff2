import ArgumentParser
import Foundation

/// The options and the call shared by the `eval` subcommands that run `python -m mledojo.evaluation`:
/// the arguments pass through untouched, stdout and stderr are inherited, the exit status is passed on.
struct EvaluationPython: ParsableArguments {
    @Option(help: "Python virtual environment with the pinned packages (numpy, scipy, matplotlib).")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package.")
    var runtime = "python"

    /// Runs `python -m mledojo.evaluation <subcommand> <arguments>` and exits with its status.
    func run(_ subcommand: String, _ arguments: [String]) throws -> Never {
        let python = ProjectPaths.resolve(venv).appending(path: "bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            Console.error("mledojo eval \(subcommand): no Python at \(python.path) (--venv)")
            throw ExitCode(2)
        }
        let process = Process()
        process.executableURL = python
        process.arguments = ["-m", "mledojo.evaluation", subcommand] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = ProjectPaths.resolve(runtime).path
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["MPLBACKEND"] = "Agg"
        process.environment = environment
        do {
            try process.run()
        } catch {
            Console.error("mledojo eval \(subcommand): cannot start \(python.path): \(error)")
            throw ExitCode(2)
        }
        process.waitUntilExit()
        throw ExitCode(process.terminationStatus)
    }
}
