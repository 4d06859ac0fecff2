import Env
import Foundation
import Wire

/// Runs a module of the trusted Python side (`python -m mledojo.<name> ...`) with the runtime on
/// PYTHONPATH and reads its JSON report. Output goes to files, so a chatty module can never block on
/// a full pipe; a run past its time limit is killed. A module confined to the sandbox (`confined(by:)`)
/// runs there instead, seeing only the runtime and the folders a run names: how task code written by an
/// LLM (prepare.py, metric.py, which the checks import and run) is kept from the host. Run there, a module
/// gets `--untrusted` (check, review, prepare and weak refuse such tasks without it).
public struct PythonModule: Sendable {
    /// What one run left behind.
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var seconds: Double

        /// The last lines of stderr, for a defect message.
        public var stderrTail: String {
            stderr.split(separator: "\n").suffix(6).joined(separator: "\n")
        }
    }

    public let python: URL
    public let runtime: URL
    /// Set: every run happens in this sandbox.
    public let sandbox: SandboxedCommand?

    public init(python: URL, runtime: URL, sandbox: SandboxedCommand? = nil) {
        self.python = python
        self.runtime = runtime
        self.sandbox = sandbox
    }

    /// The same module runner, every run inside `sandbox`.
    public func confined(by sandbox: SandboxedCommand) -> PythonModule {
        PythonModule(python: python, runtime: runtime, sandbox: sandbox)
    }

    /// Runs `mledojo.<module>` with `arguments`; throws only when the process cannot start. In the sandbox,
    /// `writable` are the folders the run may change (a task folder); nothing else of the host is visible
    /// but the runtime and the Python environment.
    public func run(_ module: String, _ arguments: [String], writable: [URL] = [], timeoutSeconds: Double = 1800) async throws -> Outcome {
        if let sandbox {
            let folders = Sandbox.runtimeFolders(runtime).map { SandboxedCommand.Folder($0) } + writable.map { SandboxedCommand.Folder($0, writable: true) }
            // `--untrusted`: the module may run a task an LLM wrote, since it runs here, in the sandbox.
            let outcome = try await sandbox.run([python.path, "-m", "mledojo.\(module)", "--untrusted"] + arguments,
                                                in: writable.first ?? runtime,
                                                folders: folders, environment: ["PYTHONPATH": runtime.path],
                                                limits: .init(wallClockSeconds: timeoutSeconds, outputBytes: 4 << 20))
            var stderr = outcome.stderr.text
            if outcome.timedOut { stderr += "\nmledojo.\(module) ran past its \(Int(timeoutSeconds)) s limit in the sandbox and was stopped" }
            return Outcome(status: outcome.exitCode ?? -1, stdout: outcome.stdout.text, stderr: stderr, seconds: outcome.durationSeconds)
        }
        let folder = FileManager.default.temporaryDirectory.appending(path: "mledojo-py-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appending(path: "stdout"), err = folder.appending(path: "stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = python
        process.arguments = ["-m", "mledojo.\(module)"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = runtime.path
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["OMP_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let (exited, signal) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            signal.yield(finished.terminationStatus)
            signal.finish()
        }
        let started = ContinuousClock.now
        try process.run()
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeoutSeconds))
            kill(pid, SIGTERM)
            try await Task.sleep(for: .seconds(2))
            kill(pid, SIGKILL)
        }
        var status: Int32 = -1
        for await code in exited { status = code }
        let timedOut = ContinuousClock.now - started >= .seconds(timeoutSeconds)
        watchdog.cancel()
        let read = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
        var stderr = read(err)
        if timedOut { stderr += "\nmledojo.\(module) ran past its \(Int(timeoutSeconds)) s limit and was stopped" }
        let elapsed = ContinuousClock.now - started
        return Outcome(status: status, stdout: read(out), stderr: stderr,
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Runs the module and decodes its stdout as one JSON value (nil when it printed none).
    public func runJSON(_ module: String, _ arguments: [String], writable: [URL] = [],
                        timeoutSeconds: Double = 1800) async throws -> (Outcome, JSONValue?) {
        let outcome = try await run(module, arguments, writable: writable, timeoutSeconds: timeoutSeconds)
        return (outcome, try? JSONValue.decode(Data(outcome.stdout.utf8)))
    }
}
