import ArgumentParser
import Env
import Foundation

/// `mledojo tasks`: list, prepare and check task folders.
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List, prepare, check, verify, register and derive the task folders a server would serve.",
        subcommands: [TasksListCommand.self, TasksPrepareCommand.self, TasksCheckCommand.self, TasksCalibrateCommand.self,
                      TasksVerifyCommand.self, TasksRegisterCommand.self, TasksDeriveCommand.self, TasksTwinCheckCommand.self])
}

/// Options every `tasks` subcommand shares.
struct TaskFolderOptions: ParsableArguments {
    @Option(help: "Folder of task folders.")
    var tasks = "tasks"
    @Option(help: "Python virtual environment with the pinned packages.")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package.")
    var runtime = "python"

    var python: String { ProjectPaths.resolve(venv).appending(path: "bin/python").path }

    /// Runs `python -m mledojo.<module> arguments…` with the runtime on PYTHONPATH; returns its exit status.
    func runPython(_ module: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "mledojo.\(module)"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = ProjectPaths.resolve(runtime).path
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `mledojo tasks list`.
struct TasksListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the tasks in the tasks folder: id, title, source, modality, metric, direction, prepared or not.")

    @OptionGroup var options: TaskFolderOptions
    @Flag(help: "Print JSON ({\"tasks\": [...]}) instead of a table.")
    var json = false

    func run() async throws {
        let grader = GraderClient(python: options.python, runtimePath: ProjectPaths.resolve(options.runtime).path)
        let loader = TaskLoader(grader: grader)
        let loaded = await loader.loadAll(from: ProjectPaths.resolve(options.tasks))
        await grader.shutdown()
        if json {
            let listing: JSONValue = [
                "tasks": .array(loaded.tasks.map(\.summary)),
                "problems": .array(loaded.problems.map { .string($0) }),
            ]
            Console.line(listing.encodedString())
        } else {
            let rows = loaded.tasks.map { task in
                [task.id, task.source, task.modality, task.metricName, task.higherIsBetter ? "higher" : "lower",
                 task.isReady ? "yes" : "no", task.title]
            }
            Console.line(TextTable.render(header: ["id", "source", "modality", "metric", "better", "prepared", "title"], rows: rows))
            for problem in loaded.problems { Console.error("not loaded: \(problem)") }
        }
        if !loaded.problems.isEmpty { throw ExitCode(1) }
    }
}

/// `mledojo tasks prepare`.
struct TasksPrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Run each task's prepare.py into data/public and data/private (skipped when inputs are unchanged).")

    @OptionGroup var options: TaskFolderOptions
    @Flag(help: "Prepare again even when the raw data and prepare.py are unchanged.")
    var force = false

    func run() async throws {
        let status = try options.runPython("prepare", (force ? ["--force"] : []) + [ProjectPaths.resolve(options.tasks).path])
        if status != 0 { throw ExitCode(status) }
    }
}

/// `mledojo tasks check`.
struct TasksCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Structural assertions on task folders.",
        discussion: """
            Every layout of protocol/tasks.md (ours, MLE-Dojo folders, prepared Dojo and OpenMLE packages). For \
            each task, named checks: required files, task.json against its schema, task_metadata.json, raw data \
            checksums, metric class signatures and direction, leaderboards, reference scores; when the task has \
            raw/, a deterministic prepare (run twice, compared byte for byte, and with the data served); and on \
            the data as served: a valid sample submission keyed by exactly the answers' ids, answers only in \
            data/private, evaluate(answer, answer) better than evaluate(answer, sample), and a description that \
            names only public files. Exits 1 when any check fails.
            """)

    @OptionGroup var options: TaskFolderOptions
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @Argument(help: "Task ids to check (default: every task in the folder).")
    var ids: [String] = []

    func run() async throws {
        let root = ProjectPaths.resolve(options.tasks)
        let targets = ids.isEmpty ? [root.path] : ids.map { root.appending(path: $0).path }
        let status = try options.runPython("check", (json ? ["--json"] : []) + targets)
        if status != 0 { throw ExitCode(status) }
    }
}

/// `mledojo tasks calibrate`.
struct TasksCalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a best-known score by playing the baseline policy, for tasks that declare none.",
        discussion: """
            Plays `mledojo agent run --policy baseline` on each task (an in-process server) and writes \
            calibration.json beside it: the best submission's score on all test rows, as best_known and \
            baseline, with the answers' sha256. The resolver uses it only where task.json and the leaderboards \
            declare no best score, and only while the answers are unchanged (protocol/tasks.md, section 4). \
            Exits 1 when a task could not be calibrated.
            """)

    @OptionGroup var options: TaskFolderOptions
    @Option(help: "Baseline runs per task; the best counts.")
    var runs = 1
    @Option(help: "Steps per run.")
    var maxSteps = 10
    @Flag(help: "Print JSON instead of lines.")
    var json = false
    @Argument(help: "Task ids to calibrate.")
    var ids: [String]

    func validate() throws {
        guard runs >= 1, maxSteps >= 1 else { throw ValidationError("--runs and --max-steps must be at least 1") }
        guard !ids.isEmpty else { throw ValidationError("name at least one task id") }
    }

    func run() async throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let arguments = ["--bin", executable, "--tasks", ProjectPaths.resolve(options.tasks).path, "--runs", String(runs),
                         "--max-steps", String(maxSteps)] + (json ? ["--json"] : []) + ids
        let status = try options.runPython("calibrate", arguments)
        if status != 0 { throw ExitCode(status) }
    }
}
