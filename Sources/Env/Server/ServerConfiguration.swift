import Foundation

/// Everything a server needs to start: where tasks, storage and the Python side are, and its limits.
public struct ServerConfiguration: Sendable {
    public var tasksDirectory: URL
    public var endpoint: String
    public var databasePath: String
    /// Session workspaces and run artifacts (code, logs, submissions) live here.
    public var runsDirectory: URL
    /// The virtual environment (numpy, pandas, scikit-learn) agent code and the grader use.
    public var pythonEnvironment: URL
    /// The folder holding the trusted `mledojo` Python package (metric base class, grader).
    public var runtimeDirectory: URL
    public var bubblewrap: String
    public var defaultBudget: Budget
    /// Requests larger than this get FRAME_TOO_LARGE.
    public var maxFrameBytes: Int
    /// Requests one client connection (a ROUTER peer) may have whose replies it has not taken yet:
    /// being answered, or answered and waiting for the client to read. Beyond it a request gets BUSY at once.
    public var maxClientRequests = Self.defaultMaxClientRequests
    public static let defaultMaxClientRequests = 1024
    /// Limits of each code run (sessions may lower them through their reset budget).
    public var runLimits: RunLimits
    /// Runs executing at once across all sessions, and runs allowed to wait for a slot (then BUSY).
    public var maxConcurrentRuns: Int
    public var maxQueuedRuns: Int
    /// Sessions idle this long are closed (their history kept) and their workers stopped.
    public var sessionIdleSeconds: Double
    /// Sessions of a task made ahead of its next reset (0: none), so a reset's first run finds its worker warm.
    public var spareSessionsPerTask = 1
    /// Run agent code without bubblewrap (only when explicitly asked for: --unsafe-no-sandbox).
    public var unsafeNoSandbox: Bool
    /// Runs may use a GPU: never an address-space limit.
    public var gpu = false
    /// Limit memory with a cgroup per session where the host allows it (else RLIMIT_AS).
    public var memoryCgroups = true
    /// How session workers start where the sandbox allows a choice (`Sandbox.forksWorkers`).
    public var workerStart = WorkerStart.forkServer
    /// The admin endpoint (`ipc://` or `tcp://`; protocol.md, section 4.10) that answers register_task;
    /// nil: none. `mledojo serve` binds `ipc://<folder of the database>/admin.sock` unless told otherwise.
    public var adminEndpoint: String?
    /// A file (readable by the server's user only) whose token each admin request must carry; required
    /// for a `tcp://` admin endpoint.
    public var adminTokenFile: URL?

    public init(tasksDirectory: URL, endpoint: String, databasePath: String, runsDirectory: URL,
                pythonEnvironment: URL, runtimeDirectory: URL, bubblewrap: String = "/usr/bin/bwrap",
                defaultBudget: Budget = .serverDefault, maxFrameBytes: Int = 16 * 1024 * 1024,
                runLimits: RunLimits = .serverDefault, maxConcurrentRuns: Int = max(2, ProcessInfo.processInfo.activeProcessorCount * 2),
                maxQueuedRuns: Int = 256, sessionIdleSeconds: Double = 3600, unsafeNoSandbox: Bool = false) {
        self.tasksDirectory = tasksDirectory
        self.endpoint = endpoint
        self.databasePath = databasePath
        self.runsDirectory = runsDirectory
        self.pythonEnvironment = pythonEnvironment
        self.runtimeDirectory = runtimeDirectory
        self.bubblewrap = bubblewrap
        self.defaultBudget = defaultBudget
        self.maxFrameBytes = maxFrameBytes
        self.runLimits = runLimits
        self.maxConcurrentRuns = maxConcurrentRuns
        self.maxQueuedRuns = maxQueuedRuns
        self.sessionIdleSeconds = sessionIdleSeconds
        self.unsafeNoSandbox = unsafeNoSandbox
    }

    /// `ipc://<folder of the database>/admin.sock`: the admin endpoint `mledojo serve` binds by default.
    public static func defaultAdminEndpoint(databasePath: String) -> String {
        let folder = URL(fileURLWithPath: databasePath).standardizedFileURL.deletingLastPathComponent()
        return "ipc://\(folder.appending(path: "admin.sock").path)"
    }

    /// python/mledojo_sandbox: the warm worker that runs inside each session's sandbox.
    public var workerDirectory: URL { runtimeDirectory.appending(path: "mledojo_sandbox") }

    public var python: String { pythonEnvironment.appending(path: "bin/python").path }
}
