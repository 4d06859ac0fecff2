import ArgumentParser
import Env
import Foundation

/// `mledojo serve`: the environment server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the tasks in a folder over ZeroMQ (protocol v1, see protocol/protocol.md).",
        discussion: """
            Binds a ROUTER socket and answers requests until SIGTERM or SIGINT. Agent code runs under bubblewrap \
            with the task's public data read-only at /data and the session workspace at /workspace; the server \
            refuses to start when the sandbox does not work on this host. Every step is stored in the SQLite \
            database before its reply is sent.

            A second ROUTER socket, the admin endpoint (--admin-bind), answers register_task: a task folder \
            inside --tasks is loaded and served at once, without a restart (`mledojo tasks register`). By \
            default it is ipc://<folder of --db>/admin.sock, a socket file only this user may open (0600, in a \
            folder that is not world-writable and that the sandbox does not mount). A tcp:// admin endpoint \
            needs --admin-token-file; the public endpoint refuses register_task (FORBIDDEN).
            """)

    @Option(help: "Folder of task folders (ours with task.json, or MLE-Dojo competition folders).")
    var tasks = "tasks"
    @Option(help: "ZeroMQ endpoint to bind, tcp:// or ipc://.")
    var bind = "tcp://127.0.0.1:5555"
    @Option(help: "SQLite database file (created if missing).")
    var db = "var/mledojo.sqlite"
    @Option(help: "Admin endpoint (register_task): ipc://PATH, tcp://HOST:PORT (needs --admin-token-file) or none. Default: ipc://<folder of --db>/admin.sock.")
    var adminBind: String?
    @Option(help: "File (readable by this user only) holding the token every admin request must carry in params.token.")
    var adminTokenFile: String?
    @Option(help: "Folder for session workspaces and run artifacts.")
    var runs = "var/runs"
    @Option(help: "Python virtual environment with the pinned packages (made by make setup).")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package (grader, metric base class).")
    var runtime = "python"
    @Option(help: "Default steps per session.")
    var maxSteps = Budget.serverDefault.maxSteps
    @Option(help: "Default episode wall clock in seconds.")
    var timeLimit = Budget.serverDefault.timeLimitSeconds
    @Option(help: "Default wall clock of one code run in seconds.")
    var execTimeout = Budget.serverDefault.execTimeoutSeconds
    @Option(help: "Memory of one run in MiB (RLIMIT_AS); sessions may lower it.")
    var memoryMb = RunLimits.serverDefault.memoryBytes.map { $0 >> 20 } ?? 4096
    @Option(help: "CPU seconds of one run (RLIMIT_CPU); default: only the wall clock.")
    var cpuSeconds: Double?
    @Option(help: "Processes of one session's sandbox (RLIMIT_NPROC on the session's own uid).")
    var processes = RunLimits.serverDefault.processes ?? 256
    @Option(help: "Workspace disk use of one session in MiB.")
    var diskMb = RunLimits.serverDefault.workspaceBytes >> 20
    @Option(help: "Output (stdout or stderr) of one run in MiB before it is stopped; the reply keeps head and tail.")
    var outputMb = RunLimits.serverDefault.logBytes >> 20
    @Option(help: "Runs executing at once across all sessions (more wait in a fair queue).")
    var maxConcurrentRuns = max(2, ProcessInfo.processInfo.activeProcessorCount * 2)
    @Option(help: "Runs allowed to wait for a slot; beyond that requests get BUSY.")
    var maxQueuedRuns = 256
    @Option(help: "Requests one client connection may have unanswered or unread; beyond that each gets BUSY at once, so a client that reads late never loses a reply.")
    var maxClientRequests = ServerConfiguration.defaultMaxClientRequests
    @Option(help: "Seconds after which an idle session is closed (its history is kept).")
    var sessionTtl = 3600.0
    @Option(help: "Sessions of a task made ahead of its next reset, worker warm, so an episode's first run does not wait for the imports (0: none; each costs an idle worker's memory).")
    var spareSessions = 1
    @Option(help: "How a session's worker starts: fork-server (forked from one pre-imported process, sharing its pages; ready in milliseconds; needs a root server, else bubblewrap is used) or bubblewrap (each launched, importing its libraries itself).")
    var workerStart: WorkerStart = .forkServer
    @Option(help: "Write this file once serving: JSON with the bound endpoint (a tcp://IP:* bind picks a free port), the admin endpoint, pid and instance; removed at a clean stop.")
    var readyFile: String?
    @Flag(help: "End (as on SIGTERM) when the process that started this server ends, so a supervisor that dies leaves no orphan server.")
    var exitWithParent = false
    @Flag(help: "Runs may use a GPU: never an address-space limit (RLIMIT_AS breaks CUDA's large reservations); memory is then limited only where a memory cgroup is available.")
    var gpu = false
    @Flag(help: "Do not limit memory with a cgroup per session even where the host allows it (RLIMIT_AS instead).")
    var noCgroups = false
    @Flag(help: "Run agent code WITHOUT the sandbox (answers and the network become reachable). Only for hosts where bubblewrap cannot work, with trusted code.")
    var unsafeNoSandbox = false

    /// Server defaults obey the same ranges as a session's budget (`BudgetField`), so no flag can make a
    /// reset trap on a conversion later.
    func validate() throws {
        let checks: [(BudgetField, Double?)] = [
            (.maxSteps, Double(maxSteps)), (.timeLimit, timeLimit), (.execTimeout, execTimeout), (.memory, Double(memoryMb)),
            (.cpuSeconds, cpuSeconds), (.processes, Double(processes)), (.disk, Double(diskMb)), (.output, Double(outputMb)),
        ]
        for (field, value) in checks {
            if let value, !field.accepts(value) {
                throw ValidationError("the default \(field.key) must be \(field.rangeDescription); got \(value)")
            }
        }
        guard sessionTtl.isFinite, sessionTtl > 0, sessionTtl <= BudgetField.timeLimit.maximum else {
            throw ValidationError("--session-ttl must be above 0 and at most \(Int(BudgetField.timeLimit.maximum)) s")
        }
        guard (1...65_536).contains(maxClientRequests) else {
            throw ValidationError("--max-client-requests must be from 1 to 65536")
        }
        if adminBind == "none" && adminTokenFile != nil {
            throw ValidationError("--admin-token-file needs an admin endpoint (--admin-bind is none)")
        }
    }

    var runLimits: RunLimits {
        var limits = RunLimits.serverDefault
        limits.memoryBytes = memoryMb << 20
        limits.cpuSeconds = cpuSeconds
        limits.processes = processes
        limits.workspaceBytes = diskMb << 20
        limits.logBytes = outputMb << 20
        return limits
    }

    func run() async throws {
        if exitWithParent && !ParentDeath.deliver(SIGTERM) {
            Console.error("mledojo serve: --exit-with-parent: the parent process is gone already")
            throw ExitCode(2)
        }
        var configuration = ServerConfiguration(
            tasksDirectory: ProjectPaths.resolve(tasks), endpoint: bind, databasePath: ProjectPaths.resolve(db).path,
            runsDirectory: ProjectPaths.resolve(runs), pythonEnvironment: ProjectPaths.resolve(venv),
            runtimeDirectory: ProjectPaths.resolve(runtime),
            defaultBudget: Budget(maxSteps: maxSteps, timeLimitSeconds: timeLimit, execTimeoutSeconds: execTimeout),
            runLimits: runLimits, maxConcurrentRuns: maxConcurrentRuns, maxQueuedRuns: maxQueuedRuns,
            sessionIdleSeconds: sessionTtl, unsafeNoSandbox: unsafeNoSandbox)
        configuration.maxClientRequests = maxClientRequests
        configuration.spareSessionsPerTask = spareSessions
        configuration.gpu = gpu
        configuration.memoryCgroups = !noCgroups
        configuration.workerStart = workerStart
        switch adminBind {
        case "none": configuration.adminEndpoint = nil
        case let endpoint?: configuration.adminEndpoint = endpoint
        case nil: configuration.adminEndpoint = ServerConfiguration.defaultAdminEndpoint(databasePath: configuration.databasePath)
        }
        configuration.adminTokenFile = adminTokenFile.map(ProjectPaths.resolve)
        let server: EnvServer
        do {
            server = try await EnvServer.start(configuration)
        } catch {
            Console.error("mledojo serve: \(error)")
            throw ExitCode(2)
        }
        if let isolation = server.isolation {
            // Waits for the fork server's first worker (about a second; the server is already answering).
            let forkingProblem = await server.service.workers.checkForking()
            let sandbox = await server.service.workers.sandbox
            Console.line(isolation.enforcement(sandbox: sandbox).map { "mledojo: \($0.0): \($0.1)" }.joined(separator: "\n"))
            if !sandbox.givesSessionsOwnUIDs, let failed = isolation.checks.first(where: { $0.name == "own uid per session" && !$0.ok }) {
                Console.error("mledojo serve: WARNING: sessions share root's uid, so process limits do not hold: \(failed.detail)")
            }
            if let problem = forkingProblem {
                Console.error("mledojo serve: WARNING: session workers cannot be forked here, so each is launched through bubblewrap (~1 s and ~110 MiB more per session): \(problem)")
            }
        } else {
            Console.error("mledojo serve: WARNING: --unsafe-no-sandbox: agent code runs unisolated (and can reach the admin endpoint)")
        }
        for problem in server.loadProblems {
            Console.error("mledojo serve: skipped task \(problem)")
        }
        Console.line("mledojo: serving \(server.service.taskCount) tasks on \(server.endpoint) (db \(configuration.databasePath))")
        Console.line("mledojo: admin endpoint \(server.adminEndpoint ?? "none")")
        let ready = readyFile.map(ProjectPaths.resolve)
        if let ready {
            let record: JSONValue = ["endpoint": .string(server.endpoint), "admin_endpoint": server.adminEndpoint.map(JSONValue.string) ?? .null,
                                     "pid": .number(Double(getpid())), "instance": .string(server.service.instanceID)]
            do {
                try FileManager.default.createDirectory(at: ready.deletingLastPathComponent(), withIntermediateDirectories: true)
                try record.encoded().write(to: ready, options: .atomic)
            } catch {
                Console.error("mledojo serve: cannot write --ready-file \(ready.path): \(error)")
                await server.shutdown()
                throw ExitCode(2)
            }
        }
        let signal = await SignalWaiter.wait(for: [SIGTERM, SIGINT])
        Console.line("mledojo: signal \(signal), shutting down")
        await server.shutdown()
        if let ready { try? FileManager.default.removeItem(at: ready) }
        Console.line("mledojo: stopped")
    }
}

extension WorkerStart: ExpressibleByArgument {}
