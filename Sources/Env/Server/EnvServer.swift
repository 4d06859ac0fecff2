import Foundation

/// A running environment server: isolation checked, tasks loaded, storage open, ROUTER socket bound,
/// and (unless disabled) the admin endpoint's ROUTER socket bound beside it (`AdminEndpoint`).
public final class EnvServer: Sendable {
    public let endpoint: String
    /// The bound admin endpoint (register_task), nil when disabled.
    public let adminEndpoint: String?
    public let service: EnvService
    public let loadProblems: [String]
    public let isolation: IsolationReport?
    private let transport: ZMQTransport
    private let adminTransport: ZMQTransport?
    private let reaper: _Concurrency.Task<Void, Never>
    /// Held while this server serves its database: a second server on it refuses to start.
    private let databaseLock: DatabaseLock

    private init(endpoint: String, service: EnvService, transport: ZMQTransport, admin: (endpoint: String, transport: ZMQTransport)?,
                 loadProblems: [String], isolation: IsolationReport?, reaper: _Concurrency.Task<Void, Never>, databaseLock: DatabaseLock) {
        self.endpoint = endpoint
        self.service = service
        self.transport = transport
        adminEndpoint = admin?.endpoint
        adminTransport = admin?.transport
        self.loadProblems = loadProblems
        self.isolation = isolation
        self.reaper = reaper
        self.databaseLock = databaseLock
    }

    /// Starts a server. Refuses to run agent code without isolation unless `unsafeNoSandbox` is set.
    public static func start(_ configuration: ServerConfiguration) async throws -> EnvServer {
        // First: a second server on a database in use stops here. Released if the start fails (deinit).
        let databaseLock = try DatabaseLock(database: configuration.databasePath)
        let admin = try configuration.adminEndpoint.map { try AdminEndpoint(endpoint: $0, tokenFile: configuration.adminTokenFile) }
        try FileManager.default.createDirectory(at: configuration.runsDirectory, withIntermediateDirectories: true)
        var sandbox: Sandbox
        var isolation: IsolationReport?
        let memoryGroups = configuration.memoryCgroups ? try? MemoryCgroups.discover().get() : nil
        if configuration.unsafeNoSandbox {
            sandbox = Sandbox(mode: .unsafeNoSandbox, bubblewrap: configuration.bubblewrap, setpriv: nil,
                              pythonEnvironment: configuration.pythonEnvironment, workerDirectory: configuration.workerDirectory,
                              memoryGroups: memoryGroups, gpu: configuration.gpu)
        } else {
            let (probed, report) = try await Sandbox.probed(
                bubblewrap: configuration.bubblewrap, python: configuration.python, pythonEnvironment: configuration.pythonEnvironment,
                workerDirectory: configuration.workerDirectory, memoryGroups: memoryGroups, gpu: configuration.gpu)
            sandbox = probed
            sandbox.workerStart = configuration.workerStart
            isolation = report
        }
        let store = try Store(path: configuration.databasePath)
        let grader = GraderClient(python: configuration.python, runtimePath: configuration.runtimeDirectory.path)
        _ = try? await grader.call(["op": "ping"])  // warm: the first syntax check or grade is then fast
        // Started on first use, by the first task whose code an LLM wrote.
        let untrustedGrader = GraderClient(untrustedCodeIn: sandbox, python: configuration.python,
                                           runtimeDirectory: configuration.runtimeDirectory, runsDirectory: configuration.runsDirectory)
        let loader = TaskLoader(grader: grader, untrustedGrader: untrustedGrader)
        let loaded = await loader.loadAll(from: configuration.tasksDirectory)
        try await store.recordTasks(loaded.tasks)
        let service = EnvService(configuration: configuration, catalog: TaskCatalog(loaded.tasks), store: store,
                                 grader: grader, sandbox: sandbox, loader: loader, untrustedGrader: untrustedGrader)
        // The admin socket first: it is 0600 before any request can arrive.
        var adminBinding: (endpoint: String, transport: ZMQTransport)?
        if let admin {
            let visible = sandbox.hostFoldersVisible(tasks: configuration.tasksDirectory, runs: configuration.runsDirectory,
                                                     taskFolders: loaded.tasks.map(\.directory))
            do {
                try admin.checkBeforeBind(sandboxFolders: visible)
                adminBinding = try await bindAdmin(admin, service: service, configuration: configuration)
            } catch {
                await grader.shutdown()
                await untrustedGrader.shutdown()
                throw error
            }
        }
        let transport = try transport(configuration.endpoint, configuration) { frame in await service.handle(frame: frame) }
        let endpoint: String
        do { endpoint = try transport.start() } catch {
            await adminBinding?.transport.stop()
            throw EnvError(.internal, "cannot bind \(configuration.endpoint): \(error)")
        }
        let interval = min(60, max(0.5, configuration.sessionIdleSeconds / 4))
        let reaper = _Concurrency.Task {
            while !_Concurrency.Task.isCancelled {
                try? await _Concurrency.Task.sleep(for: .seconds(interval))
                await service.reapIdleSessions()
            }
        }
        return EnvServer(endpoint: endpoint, service: service, transport: transport, admin: adminBinding,
                         loadProblems: loaded.problems, isolation: isolation, reaper: reaper, databaseLock: databaseLock)
    }

    /// A ROUTER transport on `endpoint` with the configured frame and per-client limits.
    private static func transport(_ endpoint: String, _ configuration: ServerConfiguration,
                                  handler: @escaping ZMQTransport.Handler) throws -> ZMQTransport {
        let limit = configuration.maxFrameBytes
        let clientLimit = configuration.maxClientRequests
        return try ZMQTransport(
            endpoint: endpoint, maxFrameBytes: limit, maxClientRequests: clientLimit, handler: handler,
            tooLarge: { bytes in EnvService.frameTooLarge(bytes: bytes, limit: limit) },
            busy: { frame in EnvService.clientBusy(frame: frame, limit: clientLimit) })
    }

    /// Binds the admin endpoint's ROUTER socket; an `ipc://` socket file is set to 0600 at once, before
    /// the public endpoint opens, so only the server's user can connect. (The process-wide umask is left
    /// alone: servers in one process, as in the tests, would make each other's session folders private.)
    private static func bindAdmin(_ admin: AdminEndpoint, service: EnvService,
                                  configuration: ServerConfiguration) async throws -> (endpoint: String, transport: ZMQTransport) {
        let adminService = AdminService(service: service, token: admin.token)
        let transport = try transport(admin.endpoint, configuration) { frame in await adminService.handle(frame: frame) }
        let bound: String
        do { bound = try transport.start(threadName: "zmq-admin") } catch {
            throw EnvError(.internal, "cannot bind the admin endpoint \(admin.endpoint): \(error)")
        }
        do { try admin.secureAfterBind() } catch {
            // Never serve a socket whose mode is not known.
            await transport.stop()
            throw error
        }
        return (bound, transport)
    }

    /// Graceful stop: no new requests, runs in flight cancelled, their steps stored and replies sent,
    /// then the socket closed and the workers and grader stopped.
    public func shutdown(timeout: Double = 30) async {
        reaper.cancel()
        await adminTransport?.stop()
        await service.drain(timeout: timeout)
        await transport.stop()
        await service.grader.shutdown()
        await service.untrustedGrader.shutdown()
        service.sandbox.memoryGroups?.removeBase()
        databaseLock.release()
    }
}
