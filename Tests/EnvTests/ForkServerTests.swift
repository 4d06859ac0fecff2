import EnvTesting
import Foundation
import Testing

@testable import Env

/// Session workers forked from the fork server, on this host's real kernel: each is confined (its own
/// uid, PID namespace, root and no capabilities), all descend from one pre-imported process, a worker
/// that cannot be confined fails with a reason, and a fork server that dies is replaced.
@Suite("ForkServer", .serialized)
struct ForkServerTests {
    static let probe = #"""
        import json, os
        caps = {l.split(":")[0]: l.split()[1] for l in open("/proc/self/status") if l.startswith("Cap")}
        seccomp = [l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")][0]
        print(json.dumps({"uid": os.getuid(), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                          "root": sorted(os.listdir("/")), "caps": sorted(set(caps.values())), "seccomp": seccomp}))
        """#

    /// A server of the repository's tasks whose workers start as `start` says; stopped after `body`.
    func withServer(_ start: WorkerStart, _ body: (URL, DealerClient) async throws -> Void) async throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        var configuration = TestServer.configuration(in: temporary.url)
        configuration.workerStart = start
        configuration.spareSessionsPerTask = 0
        configuration.adminEndpoint = nil
        let server = try await EnvServer.start(configuration)
        do {
            try await body(configuration.runsDirectory, try DealerClient(endpoint: server.endpoint, receiveTimeoutMilliseconds: 120_000))
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    func run(_ client: DealerClient, _ session: String, _ code: String) async throws -> JSONValue {
        let reply = try await client.call("execute_code", session: session, params: ["code": .string(code)])
        let execution = reply["result"]?["result"]?["execution"]
        #expect(execution?["status"] == "SUCCESS", "\(reply)")
        let line = execution?["stdout"]?.stringValue?.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONValue.decode(Data(line.utf8))
    }

    func reset(_ client: DealerClient) async throws -> String {
        try #require(try await client.call("reset", params: ["task": "penguins-species"])["result"]?["session"]?.stringValue)
    }

    /// Processes whose parent is `parent`, with their command lines.
    static func children(of parent: pid_t) -> [(pid: pid_t, command: String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent else { return nil }
            let command = (try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ")
            return (pid, command ?? "")
        }
    }

    /// The fork servers of the server whose runs folder is `runs` (other suites' servers run in this
    /// process too): each writes to `<runs>/forkserver.log`.
    static func forkServers(_ runs: URL) -> [pid_t] {
        children(of: getpid()).filter { child in
            child.command.contains("forkserver.py")
                && (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/fd/1")) == runs.appending(path: "forkserver.log").path
        }.map(\.pid)
    }

    @Test func sessionsAreConfinedForksOfOneForkServer() async throws {
        guard getuid() == 0 else { return }  // the fork server serves the root layout only
        var runsFolder: URL?
        try await withServer(.forkServer) { runs, client in
            runsFolder = runs
            let first = try await reset(client), second = try await reset(client)
            let a = try await run(client, first, Self.probe), b = try await run(client, second, Self.probe)
            for probe in [a, b] {
                #expect(probe["caps"] == ["0000000000000000"], "\(probe)")
                #expect(probe["seccomp"] == "2", "\(probe)")  // filter mode
                #expect((probe["pids"]?.arrayValue?.count ?? 99) <= 3, "\(probe)")  // the worker, its spare, this run
                #expect(probe["pids"]?.arrayValue?.first == 1)
                #expect(probe["root"]?.arrayValue?.contains("workspace") == true && probe["root"]?.arrayValue?.contains("root") == false)
            }
            #expect(a["uid"] != b["uid"] && a["uid"] != 0)
            let forkServers = Self.forkServers(runs)
            try #require(forkServers.count == 1)
            // Under it, one parent per session, each with its confined worker.
            let parents = Self.children(of: forkServers[0]).map(\.pid)
            #expect(parents.count == 2)
            #expect(parents.allSatisfy { Self.children(of: $0).count == 1 })
        }
        #expect(Self.forkServers(try #require(runsFolder)).isEmpty)  // stopped with the server
    }

    @Test func aKilledForkServerIsReplacedAndSessionsGoOn() async throws {
        guard getuid() == 0 else { return }
        try await withServer(.forkServer) { runs, client in
            let session = try await reset(client)
            _ = try await run(client, session, "print('{}')")
            let killed = try #require(Self.forkServers(runs).first)
            let workers = Self.children(of: killed).flatMap { [$0.pid] + Self.children(of: $0.pid).map(\.pid) }
            #expect(workers.count == 2)
            kill(killed, SIGKILL)
            // Its workers die with it (parent-death signals); the server notices their sockets end.
            for _ in 0..<100 where workers.contains(where: { kill($0, 0) == 0 }) { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!workers.contains { kill($0, 0) == 0 })
            try await Task.sleep(for: .milliseconds(200))
            _ = try await run(client, session, "print('{}')")  // a fresh worker, from a fresh fork server
            let replacements = Self.forkServers(runs)
            #expect(replacements.count == 1 && replacements.first != killed)
        }
    }

    @Test func aWorkerThatCannotBeConfinedFailsWithTheReason() async throws {
        guard getuid() == 0 else { return }
        let venv = RepositoryPaths.venv
        var (sandbox, _) = try await Sandbox.probed(bubblewrap: "/usr/bin/bwrap", python: venv.appending(path: "bin/python").path,
                                                    pythonEnvironment: venv,
                                                    workerDirectory: RepositoryPaths.pythonRuntime.appending(path: "mledojo_sandbox"))
        sandbox.workerStart = .forkServer
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let root = temporary.url
        let pool = WorkerPool(sandbox: sandbox, logs: root)
        let folders = SessionFolders(workspace: root.appending(path: "workspace"), publicData: root.appending(path: "no-such-data"),
                                     steps: root.appending(path: "steps"), logs: root.appending(path: "logs"))
        for folder in [folders.workspace, folders.steps, folders.logs] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        await #expect {
            _ = try await pool.worker(for: "s", folders: folders, uid: 64990, limits: .serverDefault)
        } throws: { error in
            "\(error)".contains("cannot start the sandbox") && "\(error)".contains("no-such-data")
        }
        await pool.retireAll()
    }

    @Test func aForkServerThatFailsItsCheckIsReportedAndWorkersAreLaunchedInstead() async throws {
        guard getuid() == 0 else { return }
        let venv = RepositoryPaths.venv
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let root = temporary.url
        var (sandbox, _) = try await Sandbox.probed(bubblewrap: "/usr/bin/bwrap", python: venv.appending(path: "bin/python").path,
                                                    pythonEnvironment: venv,
                                                    workerDirectory: RepositoryPaths.pythonRuntime.appending(path: "mledojo_sandbox"))
        sandbox.workerStart = .forkServer
        let broken = Sandbox.Launch(executable: sandbox.python, arguments: ["-c", "raise SystemExit('no fork server today')"],
                                    environment: [], descriptor3: nil)
        let log = root.appending(path: "forkserver.log")
        let pool = WorkerPool(sandbox: sandbox, startupTimeout: 60, logs: root, forkServer: ForkServer(launch: broken, log: log))
        let problem = try #require(await pool.checkForking())
        #expect(problem.contains("fork server") && problem.contains(log.path), "\(problem)")
        #expect(try String(contentsOf: log, encoding: .utf8).contains("no fork server today"))
        #expect(await pool.sandbox.forksWorkers == false)
        let folders = SessionFolders(workspace: root.appending(path: "workspace"), publicData: root.appending(path: "data"),
                                     steps: root.appending(path: "steps"), logs: root.appending(path: "logs"))
        for folder in [folders.workspace, folders.publicData, folders.steps, folders.logs] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let worker = try await pool.worker(for: "s", folders: folders, uid: 64990, limits: .serverDefault)  // through bubblewrap
        #expect(worker.isAlive)
        await pool.retireAll()
    }

    @Test func bubblewrapStartStillServes() async throws {
        try await withServer(.bubblewrap) { runs, client in
            let probe = try await run(client, try await reset(client), Self.probe)
            #expect(probe["caps"] == ["0000000000000000"], "\(probe)")
            #expect(Self.forkServers(runs).isEmpty)
        }
    }

    @Test func rootStepsAreWhatBubblewrapIsGiven() throws {
        let sandbox = Sandbox(mode: .bubblewrap, bubblewrap: "/usr/bin/bwrap", setpriv: "/usr/bin/setpriv",
                              pythonEnvironment: URL(fileURLWithPath: "/opt/venv"), workerDirectory: URL(fileURLWithPath: "/opt/w"))
        let folders = SessionFolders(workspace: URL(fileURLWithPath: "/runs/s/workspace"), publicData: URL(fileURLWithPath: "/tasks/t/data/public"),
                                     steps: URL(fileURLWithPath: "/runs/s/steps"), logs: URL(fileURLWithPath: "/runs/s/logs"))
        let launch = sandbox.workerLaunch(folders, uid: 64001, limits: .serverDefault)
        let steps = sandbox.rootSteps(mounts: sandbox.workerMounts(folders), tmpBytes: RunLimits.serverDefault.tmpBytes)
        let expected = steps.flatMap(\.bubblewrapArguments)
        let arguments = launch.arguments
        let start = try #require(arguments.firstIndex(of: "--ro-bind"))
        #expect(Array(arguments[start..<min(arguments.count, start + expected.count)]) == expected)
        let request = sandbox.forkedWorkerRequest(folders, uid: 64001, limits: .serverDefault, log: URL(fileURLWithPath: "/runs/s/worker.log"),
                                                  memoryGroup: nil)
        #expect(request["root"]?.arrayValue == steps.map(\.json))
        #expect(request["uid"] == 64001 && request["chdir"] == "/workspace")
        // The operations python/mledojo_sandbox/confine.py knows.
        let known: Set<String> = ["bind", "symlink", "proc", "dev", "tmpfs", "dir", "remount_ro"]
        let operations = Set(steps.compactMap { $0.json["op"]?.stringValue })
        #expect(operations.isSubset(of: known))
        #expect(steps.last == .remountReadOnly("/"))
    }

    @Test func theCheckRefusesAWorkerThatIsNotConfined() {
        let sandbox = Sandbox(mode: .bubblewrap, bubblewrap: "/usr/bin/bwrap", setpriv: "/usr/bin/setpriv",
                              pythonEnvironment: URL(fileURLWithPath: "/opt/venv"), workerDirectory: URL(fileURLWithPath: "/opt/w"),
                              seccompFilter: [0, 0, 0, 0, 0, 0, 0, 0])
        let confined: JSONValue = ["uid": 64999, "caps": ["0000000000000000"], "seccomp": "2", "pid1": true, "interfaces": ["lo"],
                                   "root": ForkServer.expectedRoot(sandbox)]
        #expect(ForkServer.confinementProblems(confined, sandbox: sandbox, uid: 64999).isEmpty)
        #expect(ForkServer.expectedRoot(sandbox) == ["bin", "code", "data", "dev", "etc", "lib", "lib64", "logs", "opt", "proc", "tmp", "usr", "workspace"])
        var escaped = confined.objectValue ?? [:]
        escaped["uid"] = 0
        escaped["caps"] = ["000001ffffffffff"]
        escaped["seccomp"] = "0"
        escaped["interfaces"] = ["eth0", "lo"]
        escaped["root"] = ["bin", "etc", "home", "root", "usr"]
        let problems = ForkServer.confinementProblems(.object(escaped), sandbox: sandbox, uid: 64999)
        #expect(problems.count == 5, "\(problems)")
        #expect(problems.contains { $0.contains("capabilities") } && problems.contains { $0.contains("uid 0") })
    }
}
