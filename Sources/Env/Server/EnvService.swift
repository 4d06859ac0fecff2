import Foundation
import Synchronization

/// Answers protocol v1 requests: parses a frame, dispatches the action, stores session steps before
/// replying, and turns every failure into a typed error reply (never a crash, never silence).
public final class EnvService: Sendable {
    public static let version = "0.1.0"

    let configuration: ServerConfiguration
    let catalog: TaskCatalog
    let store: Store
    let sessions: SessionRegistry
    /// The trusted grader: tasks whose code is trusted, and syntax checks of agent code.
    let grader: GraderClient
    /// The grader for tasks whose code an LLM wrote (`CompetitionTask.untrustedCode`), in the sandbox.
    let untrustedGrader: GraderClient
    public let sandbox: Sandbox
    public let workers: WorkerPool
    /// Sessions made ahead of their reset, one per recently reset task (`spareSessionsPerTask`).
    let spares: SpareSessions
    let scheduler: RunScheduler
    /// Loads task folders through the trusted resolver: at start and for register_task.
    let loader: TaskLoader
    /// Whether a register_task is being answered (they run one at a time).
    let registering = Mutex(false)
    private let activity = Mutex((inFlight: 0, draining: false))
    /// Names this server process in `health` (a fleet's router tells a restarted server from the old one).
    public let instanceID = UUID().uuidString.lowercased()
    let startedAt = Date()

    /// `loader` defaults to one that asks `grader` and `untrustedGrader`, as the server's start does. Without
    /// `untrustedGrader`, tasks whose code is untrusted go to `grader`, which refuses them.
    public init(configuration: ServerConfiguration, catalog: TaskCatalog, store: Store, grader: GraderClient, sandbox: Sandbox,
                loader: TaskLoader? = nil, untrustedGrader: GraderClient? = nil) {
        self.configuration = configuration
        self.catalog = catalog
        self.store = store
        self.sessions = SessionRegistry(store: store)
        self.grader = grader
        self.untrustedGrader = untrustedGrader ?? grader
        self.loader = loader ?? TaskLoader(grader: grader, untrustedGrader: untrustedGrader)
        self.sandbox = sandbox
        self.workers = WorkerPool(sandbox: sandbox, logs: configuration.runsDirectory)
        self.spares = SpareSessions(perTask: configuration.spareSessionsPerTask)
        self.scheduler = RunScheduler(maxConcurrent: configuration.maxConcurrentRuns, maxQueued: configuration.maxQueuedRuns)
    }

    /// The grader that may run `task`'s code: the sandboxed one when an LLM wrote it, else the trusted one.
    func grader(for task: CompetitionTask) -> GraderClient {
        task.untrustedCode ? untrustedGrader : grader
    }

    /// One frame in, one reply frame out.
    public func handle(frame: Data) async -> Data {
        await Self.answer(frame) { await self.reply(to: $0) }
    }

    /// Parses `frame` and answers it with `reply`; a frame that is no request gets its error reply.
    static func answer(_ frame: Data, _ reply: (Request) async -> EncodedReply) async -> Data {
        switch Request.parse(frame) {
        case .failure(let failure):
            return Reply.failure(id: failure.id, error: failure.error).encoded()
        case .success(let request):
            return await reply(request).bytes
        }
    }

    /// The reply frame for a request over the size cap.
    public static func frameTooLarge(bytes: Int, limit: Int) -> Data {
        Reply.failure(id: nil, error: EnvError(.frameTooLarge, "the request is \(bytes) bytes; the limit is \(limit) bytes")).encoded()
    }

    /// The BUSY reply to a request from a client that already has `limit` requests unanswered or unread
    /// (or too many reply bytes unread: `ReplyOutbox`).
    public static func clientBusy(frame: Data, limit: Int) -> Data {
        let id: String? = switch Request.parse(frame) {
        case .success(let request): request.id
        case .failure(let failure): failure.id
        }
        return Reply.failure(id: id, error: EnvError(.busy, "this client has \(limit) requests unanswered or unread "
            + "(or 256 MiB of replies unread); read replies before sending more")).encoded()
    }

    public func handle(_ request: Request) async -> JSONValue {
        await reply(to: request).value
    }

    /// Runs `work` on the cooperative pool rather than the ZeroMQ thread, which runs each request's
    /// task (`LoopExecutor`): runs, grading, file copies, workspace scans and long histories must never
    /// hold up another session's request_info.
    func offTheSocketThread<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(globalConcurrentExecutor, isolation: nil) { try await work() }
    }

    /// The reply to a request, encoded once (a step's reply is stored with exactly these bytes).
    func reply(to request: Request) async -> EncodedReply {
        await admitted(request) {
            // Actions that store a step answer with the reply they stored; the others with their result.
            switch request.action {
            case .health: return .success(id: request.id, result: try await health())
            case .listTasks: return .success(id: request.id, result: taskListing)
            case .reset: return try await offTheSocketThread { try await self.reset(request) }
            case .requestInfo: return try await requestInfo(request)
            case .validateCode: return try await offTheSocketThread { try await self.runCode(request, grading: false) }
            case .executeCode: return try await offTheSocketThread { try await self.runCode(request, grading: true) }
            case .evaluate: return try await offTheSocketThread { try await self.evaluate(request) }
            case .getHistory: return .success(id: request.id, result: try await offTheSocketThread { try await self.history(request) })
            case .close: return try await offTheSocketThread { try await self.close(request) }
            case .cancel: return .success(id: request.id, result: try await cancel(request))
            case .registerTask:
                throw EnvError(.forbidden, "register_task is an admin action; use the admin endpoint (mledojo serve --admin-bind)")
            }
        }
    }

    /// Answers `request` with `answer` unless the server is shutting down (BUSY), counting it in flight
    /// meanwhile (`drain` waits for it); a thrown error becomes its error reply.
    func admitted(_ request: Request, _ answer: () async throws -> EncodedReply) async -> EncodedReply {
        let admitted = activity.withLock { state -> Bool in
            guard !state.draining else { return false }
            state.inFlight += 1
            return true
        }
        guard admitted else {
            return .failure(id: request.id, error: EnvError(.busy, "the server is shutting down"))
        }
        defer { activity.withLock { $0.inFlight -= 1 } }
        do {
            return try await answer()
        } catch let error as StoredFailure {
            return error.reply
        } catch let error as EnvError {
            return .failure(id: request.id, error: error)
        } catch {
            return .failure(id: request.id, error: EnvError(.internal, "\(error)"))
        }
    }

    /// The result of `list_tasks`: every task's summary, by id.
    var taskListing: JSONValue { .object(["tasks": .array(catalog.all.map(\.summary))]) }

    public var taskCount: Int { catalog.count }

    /// Stops admitting requests, cancels runs in flight and waits (at most `timeout` s) for the
    /// requests being answered, so their steps are stored and their replies sent.
    public func drain(timeout: Double) async {
        activity.withLock { $0.draining = true }
        await sessions.cancelAll()
        let deadline = Date().addingTimeInterval(timeout)
        while activity.withLock({ $0.inFlight }) > 0 && Date() < deadline {
            try? await _Concurrency.Task.sleep(for: .milliseconds(20))
        }
        for spare in await spares.removeAll() {
            try? FileManager.default.removeItem(at: spare.folders.workspace.deletingLastPathComponent())
        }
        await workers.retireAll()
    }

    /// Closes sessions idle past the configured TTL (history kept) and stops their workers.
    public func reapIdleSessions() async {
        for sessionID in await sessions.idle(olderThan: configuration.sessionIdleSeconds) {
            await workers.retire(sessionID)
            let request = Request(id: "reaper", action: .close, session: sessionID)
            _ = try? await performStep(request, closing: true) { _ in
                StepOutcome(success: true, feedback: "Session closed by the server after \(Int(self.configuration.sessionIdleSeconds)) s idle.",
                            result: [:])
            }
        }
    }

    func health() async throws -> JSONValue {
        let counts = try await store.sessionCounts()
        let runs = await scheduler.load
        return [
            "status": "ok", "version": .string(Self.version), "protocol": 1,
            "tasks": .number(Double(catalog.count)),
            "sessions": ["open": .number(Double(counts.open)), "total": .number(Double(counts.total))],
            "sandbox": .string(sandbox.mode.rawValue),  // "none" under --unsafe-no-sandbox
            "instance": .string(instanceID), "pid": .number(Double(getpid())),
            "started_at": .string(ISO8601DateFormatter().string(from: startedAt)),
            "capacity": ["max_concurrent_runs": .number(Double(scheduler.maxConcurrent)),
                         "max_queued_runs": .number(Double(scheduler.maxQueued))],
            "load": ["sessions": .number(Double(counts.open)), "runs_in_flight": .number(Double(runs.running)),
                     "runs_queued": .number(Double(runs.waiting))],
        ]
    }

    func task(_ id: String) throws -> CompetitionTask {
        try Identifier.check(id, field: "parameter 'task'")
        guard let task = catalog.task(id) else { throw EnvError(.noSuchTask, "no task '\(id)'; list_tasks shows the ids") }
        return task
    }
}

/// A failure whose error reply was already stored as a step of the session.
struct StoredFailure: Error {
    let reply: EncodedReply
}
