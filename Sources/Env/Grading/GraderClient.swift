import Foundation

/// A warm Python grading worker that imports each task's metric.py and scores submissions against the
/// private answers; restarted on demand if it dies or hangs. Two kinds: the trusted grader (a plain child
/// of the server, for tasks whose code is trusted; it refuses the others), and the grader for untrusted
/// task code (`GraderSandbox`: started inside the sandbox on first use, seeing only the task folders
/// it has been asked about).
public actor GraderClient {
    private let python: String
    private let runtimePath: String
    private let timeout: Double
    /// Where the grader for untrusted code runs; nil for the trusted grader.
    private let sandbox: GraderSandbox?
    /// The task folders the sandboxed grader sees (it restarts to see another).
    private var taskFolders: [URL] = []
    private var process: GraderProcess?

    /// The trusted grader. `python` is the venv's interpreter; `runtimePath` the folder holding the `mledojo`
    /// Python package.
    public init(python: String, runtimePath: String, timeout: Double = 300) {
        self.python = python
        self.runtimePath = runtimePath
        self.timeout = timeout
        sandbox = nil
    }

    /// The grader for untrusted task code, in `sandbox` (a plain process when it is `unsafeNoSandbox`): it
    /// reads `runtimeDirectory`, `runsDirectory` and the folders of the tasks it is asked about, read-only.
    public init(untrustedCodeIn sandbox: Sandbox, python: String, runtimeDirectory: URL, runsDirectory: URL, timeout: Double = 300) {
        self.python = python
        runtimePath = runtimeDirectory.path
        self.timeout = timeout
        self.sandbox = GraderSandbox(sandbox: sandbox, python: python, runtimeDirectory: runtimeDirectory,
                                     runsDirectory: runsDirectory)
    }

    /// Whether this is the grader for untrusted task code.
    public nonisolated var servesUntrustedCode: Bool { sandbox != nil }

    /// One request to the worker; starts it first if needed.
    public func call(_ request: [String: JSONValue]) async throws -> JSONValue {
        try await call(request, taskDirectory: nil)
    }

    /// One request about the task in `taskDirectory`: the sandboxed grader restarts first when it does not
    /// see that folder yet (the running one answers what it was sent, then exits).
    private func call(_ request: [String: JSONValue], taskDirectory: URL?) async throws -> JSONValue {
        if let sandbox, sandbox.sandbox.mode == .bubblewrap, let folder = taskDirectory?.standardizedFileURL,
            !GraderSandbox.covers(taskFolders, folder) {
            taskFolders.append(folder)
            process?.retire()
            process = nil
        }
        let running: GraderProcess
        if let process, process.isAlive {
            running = process
        } else {
            running = try start()
            process = running
        }
        let reply = try await running.call(request, timeout: timeout)
        if reply["ok"]?.boolValue != true {
            let message = reply["error"]?.stringValue ?? "the grader failed"
            throw GraderError(errorType: reply["error_type"]?.stringValue ?? "MetricError", message: message)
        }
        return reply
    }

    /// Lets the sandboxed grader see `folders` from its next start on (so tasks loaded together cost one start).
    public func admit(_ folders: [URL]) {
        guard let sandbox, sandbox.sandbox.mode == .bubblewrap else { return }
        let new = folders.map(\.standardizedFileURL).filter { !GraderSandbox.covers(taskFolders, $0) }
        guard !new.isEmpty else { return }
        taskFolders += new
        process?.retire()
        process = nil
    }

    private func start() throws -> GraderProcess {
        guard let sandbox else { return try GraderProcess(python: python, runtimePath: runtimePath) }
        return try GraderProcess(sandbox.launch(taskFolders: taskFolders))
    }

    /// What the one resolver (python/mledojo/resolve.py) decides about a task folder.
    public func resolve(taskDirectory: URL) async throws -> JSONValue {
        let reply = try await call(["op": "resolve", "task_dir": .string(taskDirectory.path)], taskDirectory: taskDirectory)
        guard let task = reply["task"], task.objectValue != nil else {
            throw GraderError(errorType: "MetricError", message: "the grader did not resolve the task")
        }
        return task
    }

    /// Every task folder directly under `root`, each resolved or with the reason it cannot load.
    public func discover(root: URL) async throws -> JSONValue {
        let reply = try await call(["op": "discover", "root": .string(root.path)])
        guard let tasks = reply["tasks"], tasks.arrayValue != nil else {
            throw GraderError(errorType: "MetricError", message: "the grader did not list the tasks")
        }
        return tasks
    }

    /// Validates and (in score mode) scores a submission file against the task's answers.
    public func grade(task: CompetitionTask, submission: URL, scoring: Bool) async throws -> GradeReport {
        let reply = try await call([
            "op": "grade", "task_dir": .string(task.directory.path), "submission": .string(submission.path),
            "mode": scoring ? "score" : "validate", "split_seed": .number(Double(task.splitSeed)),
            "public_fraction": .number(task.publicFraction),
        ], taskDirectory: task.directory)
        guard reply["valid"]?.boolValue == true else {
            return GradeReport(valid: false, errorType: reply["error_type"]?.stringValue ?? "InvalidSubmissionError",
                               error: reply["error"]?.stringValue ?? "the submission is invalid")
        }
        let scores = reply["scores"]
        return GradeReport(valid: true, full: scores?["full"]?.numberValue,
                           publicSlice: scores?["public"]?.numberValue, privateSlice: scores?["private"]?.numberValue)
    }

    /// Compiles (never runs) agent code; returns the syntax error text, or nil when it compiles.
    public func syntaxError(in code: String) async throws -> String? {
        let reply = try await call(["op": "syntax", "code": .string(code)])
        return reply["valid"]?.boolValue == true ? nil : (reply["error"]?.stringValue ?? "SyntaxError")
    }

    /// Stops the worker (it starts again on the next call).
    public func shutdown() {
        process?.terminate(reason: "the server is shutting down")
        process = nil
    }
}

/// The grader could not grade (as opposed to: the submission is invalid).
public struct GraderError: Error, Sendable, CustomStringConvertible {
    public let errorType: String
    public let message: String
    public var description: String { "\(errorType): \(message)" }
}
