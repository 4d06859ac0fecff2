import Foundation

/// The trusted grader: a warm Python worker that imports each task's metric.py and scores submissions
/// against the private answers. Restarted on demand if it dies or hangs.
public actor GraderClient {
    private let python: String
    private let runtimePath: String
    private let timeout: Double
    private var process: GraderProcess?

    /// `python` is the venv's interpreter; `runtimePath` the folder holding the `mledojo` Python package.
    public init(python: String, runtimePath: String, timeout: Double = 300) {
        self.python = python
        self.runtimePath = runtimePath
        self.timeout = timeout
    }

    /// One request to the worker; starts it first if needed.
    public func call(_ request: [String: JSONValue]) async throws -> JSONValue {
        let running: GraderProcess
        if let process, process.isAlive {
            running = process
        } else {
            running = try GraderProcess(python: python, runtimePath: runtimePath)
            process = running
        }
        let reply = try await running.call(request, timeout: timeout)
        if reply["ok"]?.boolValue != true {
            let message = reply["error"]?.stringValue ?? "the grader failed"
            throw GraderError(errorType: reply["error_type"]?.stringValue ?? "MetricError", message: message)
        }
        return reply
    }

    /// What the one resolver (python/mledojo/resolve.py) decides about a task folder.
    public func resolve(taskDirectory: URL) async throws -> JSONValue {
        let reply = try await call(["op": "resolve", "task_dir": .string(taskDirectory.path)])
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
        ])
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
