import Foundation

/// The warm workers of the live sessions: one sandbox per session, started at reset (so the first
/// run finds pandas and scikit-learn imported), restarted if it dies, retired when the session closes
/// or sits idle.
public actor WorkerPool {
    private struct Entry {
        let worker: SandboxWorker
        var lastUsed: Date
    }

    private var entries: [String: Entry] = [:]
    /// The sandbox workers start in (launching instead of forking once the fork server's check failed).
    public private(set) var sandbox: Sandbox
    /// Seconds a worker may take to import its libraries.
    let startupTimeout: Double
    /// Where workers are forked from, when the sandbox forks them (`Sandbox.forksWorkers`).
    private var forkServer: ForkServer?
    /// The fork server's first worker, started with the pool: until it is ready no session's worker is
    /// forked, and if it fails the pool launches workers through bubblewrap instead.
    private var forkCheck: _Concurrency.Task<String?, Never>?
    /// Why workers are launched although forking was asked for (nil: they fork, or launching was asked for).
    public private(set) var forkingProblem: String?

    /// `logs`: where the fork server writes what it prints (python's own errors), and where its check
    /// makes a throwaway session's folders. `forkServer`: the one to use instead of the sandbox's own.
    public init(sandbox: Sandbox, startupTimeout: Double = 120, logs: URL = FileManager.default.temporaryDirectory) {
        let forkServer = sandbox.forksWorkers ? ForkServer(launch: sandbox.forkServerLaunch(), log: logs.appending(path: "forkserver.log")) : nil
        self.init(sandbox: sandbox, startupTimeout: startupTimeout, logs: logs, forkServer: forkServer)
    }

    init(sandbox: Sandbox, startupTimeout: Double, logs: URL, forkServer: ForkServer?) {
        self.sandbox = sandbox
        self.startupTimeout = startupTimeout
        self.forkServer = forkServer
        forkCheck = forkServer.map { server in
            _Concurrency.Task { await server.check(sandbox: sandbox, in: logs, timeout: startupTimeout) }
        }
    }

    /// Waits for the fork server's check (once); a failed one makes the pool launch workers from now on.
    /// Returns why workers are not forked, if forking was asked for and failed.
    @discardableResult
    public func checkForking() async -> String? {
        guard let check = forkCheck else { return forkingProblem }
        let problem = await check.value
        if forkCheck != nil, let problem {  // the first caller to get here switches
            forkServer?.stop()
            forkServer = nil
            sandbox.workerStart = .bubblewrap
            forkingProblem = problem
        }
        forkCheck = nil
        return forkingProblem
    }

    /// The session's worker, started if it has none or its old one died; ready to run.
    func worker(for session: String, folders: SessionFolders, uid: UInt32?, limits: RunLimits) async throws -> SandboxWorker {
        await checkForking()
        let worker = try start(session, folders: folders, uid: uid, limits: limits)
        try await worker.waitUntilReady(timeout: startupTimeout)
        return worker
    }

    /// Starts the session's worker in the background (at reset), without waiting for it.
    func prewarm(_ session: String, folders: SessionFolders, uid: UInt32?, limits: RunLimits) async {
        await checkForking()
        _ = try? start(session, folders: folders, uid: uid, limits: limits)
    }

    private func start(_ session: String, folders: SessionFolders, uid: UInt32?, limits: RunLimits) throws -> SandboxWorker {
        if var entry = entries[session], entry.worker.isAlive {
            entry.lastUsed = Date()
            entries[session] = entry
            return entry.worker
        }
        // Without bubblewrap (--unsafe-no-sandbox) the worker starts in the workspace itself.
        let workingDirectory = sandbox.mode == .unsafeNoSandbox ? folders.workspace.path : nil
        var launch = sandbox.workerLaunch(folders, uid: uid, limits: limits)
        var memoryGroup: SessionMemoryGroup?
        if let groups = sandbox.memoryGroups, let runBytes = limits.memoryBytes {
            // Room to import the libraries first; once ready the limit becomes the worker's use + the run budget.
            let group = try groups.makeSessionGroup(session, bytes: runBytes + (1 << 30))
            launch = launch.joining(group)
            memoryGroup = group
        }
        let log = folders.logs.deletingLastPathComponent().appending(path: "worker.log")
        let worker: SandboxWorker
        if let forkServer {
            let request = sandbox.forkedWorkerRequest(folders, uid: uid, limits: limits, log: log, memoryGroup: memoryGroup)
            worker = SandboxWorker(forkedBy: forkServer, request: request, memoryGroup: memoryGroup, runMemoryBytes: limits.memoryBytes)
        } else {
            worker = try SandboxWorker(launch, memoryGroup: memoryGroup, runMemoryBytes: limits.memoryBytes,
                                       workingDirectory: workingDirectory, stderrLog: log)
        }
        entries[session] = Entry(worker: worker, lastUsed: Date())
        return worker
    }

    func touch(_ session: String) { entries[session]?.lastUsed = Date() }

    /// Stops a session's worker (close, reaping).
    func retire(_ session: String) {
        entries.removeValue(forKey: session)?.worker.terminate()
    }

    /// Stops workers unused for `idleSeconds`; returns their sessions.
    func retireIdle(olderThan idleSeconds: Double, now: Date = Date()) -> [String] {
        let idle = entries.filter { now.timeIntervalSince($0.value.lastUsed) > idleSeconds }.map(\.key)
        idle.forEach(retire)
        return idle
    }

    /// Stops every worker, and the fork server: the pool takes no more sessions.
    func retireAll() {
        entries.values.forEach { $0.worker.terminate() }
        entries = [:]
        forkServer?.stop()
    }

    public var count: Int { entries.count }
}
