import CSpawn
import Foundation
import Synchronization

/// The process whose forks become the sessions' workers (python/mledojo_sandbox/forkserver.py): one
/// interpreter with numpy, pandas and scikit-learn imported, whose pages every forked worker shares.
/// Started on first use, restarted when it has died, stopped with the server. A request travels as one
/// message on a SOCK_SEQPACKET socket with the worker's end of a fresh stream socket attached; the
/// worker then speaks the same JSON lines as a launched one on that socket.
final class ForkServer: Sendable {
    private struct State {
        var control: Int32 = -1
        var pid: pid_t = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let launch: Sandbox.Launch
    /// Where the fork server's own output goes (Python's errors, if it fails to start).
    let log: URL

    init(launch: Sandbox.Launch, log: URL) {
        self.launch = launch
        self.log = log
    }

    /// Asks for a worker built from `request` (`Sandbox.forkedWorkerRequest`); returns the server's end of
    /// the worker's socket, on which `spawned`, then the worker's own events, arrive. A fork server found
    /// dead is restarted once.
    func spawnWorker(_ request: JSONValue) throws -> Int32 {
        let bytes = Array(request.encoded())
        // Under the lock: a control socket is never closed (and its number reused) while a request is sent.
        return try state.withLock { state in
            var failure: Int32 = 0
            for _ in 0..<2 {
                if state.stopped { throw EnvError(.internal, "the server is stopping") }
                if state.control < 0 { (state.control, state.pid) = try start() }
                var pair: [Int32] = [-1, -1]
                let made = pair.withUnsafeMutableBufferPointer { cspawn_socketpair(Int32(SOCK_STREAM.rawValue), $0.baseAddress) }
                guard made == 0 else { throw EnvError(.internal, "cannot make a session worker's socket: errno \(made)") }
                failure = bytes.withUnsafeBytes { cspawn_send_with_descriptor(state.control, $0.baseAddress, $0.count, pair[1]) }
                close(pair[1])
                if failure == 0 { return pair[0] }
                close(pair[0])
                // Dead or refusing: the next try starts a fresh one.
                kill(state.pid, SIGKILL)
                close(state.control)
                (state.control, state.pid) = (-1, 0)
            }
            throw EnvError(.internal, "the fork server does not take requests (errno \(failure))")
        }
    }

    /// Forks one worker for a throwaway session under `folder`, waits until it is ready, then has it run a
    /// probe and checks what the run finds: the throwaway uid, no capability in any set, the seccomp
    /// filter (when the sandbox has one), PID 1 of a namespace of its own, loopback as the only network,
    /// and no host folder beside the session's. Returns nil when all hold, else what did not (the pool
    /// then launches workers through bubblewrap instead).
    func check(sandbox: Sandbox, in folder: URL, timeout: Double) async -> String? {
        let root = folder.appending(path: ".fork-check-\(UUID().uuidString.prefix(8).lowercased())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folders = SessionFolders(workspace: root.appending(path: "workspace"), publicData: root.appending(path: "data"),
                                     steps: root.appending(path: "steps"), logs: root.appending(path: "logs"))
        let uid: UInt32 = 64999
        do {
            for made in [folders.workspace, folders.publicData, folders.steps, folders.logs] {
                try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
            }
            _ = chown(folders.logs.path, uid, uid)
            try Self.probe.write(to: folders.steps.appending(path: "probe.py"), atomically: true, encoding: .utf8)
            let request = sandbox.forkedWorkerRequest(folders, uid: uid, limits: .serverDefault, log: root.appending(path: "worker.log"),
                                                      memoryGroup: nil)
            let worker = SandboxWorker(forkedBy: self, request: request)
            defer { worker.terminate(reason: "the fork server's check is over") }
            try await worker.waitUntilReady(timeout: timeout)
            let exit = try await worker.run(["code": "/code/probe.py", "stdout": "/logs/probe.out", "stderr": "/logs/probe.err",
                                             "limits": [:]], id: "fork-check")
            let output = (try? String(contentsOf: folders.logs.appending(path: "probe.out"), encoding: .utf8)) ?? ""
            guard exit.exitCode == 0, let found = try? JSONValue.decode(Data(output.utf8)) else {
                let errors = (try? String(contentsOf: folders.logs.appending(path: "probe.err"), encoding: .utf8)) ?? ""
                return "the confinement probe failed (exit \(exit.exitCode.map(String.init) ?? "none")): \(errors.suffix(500))"
            }
            let problems = Self.confinementProblems(found, sandbox: sandbox, uid: uid)
            return problems.isEmpty ? nil : "a forked worker is not confined as it must be: " + problems.joined(separator: "; ")
        } catch {
            return "\(error)"
        }
    }

    /// What in the probe's report (`probe`'s JSON) differs from a confined session's worker.
    static func confinementProblems(_ found: JSONValue, sandbox: Sandbox, uid: UInt32) -> [String] {
        var problems: [String] = []
        if found["uid"] != .number(Double(uid)) { problems.append("uid \(found["uid"]?.encodedString() ?? "?"), not \(uid)") }
        if found["caps"] != ["0000000000000000"] { problems.append("capabilities \(found["caps"]?.encodedString() ?? "?")") }
        if sandbox.seccompFilter != nil, found["seccomp"] != "2" { problems.append("no seccomp filter") }
        if found["pid1"] != .bool(true) { problems.append("not in a PID namespace of its own") }
        if found["interfaces"] != ["lo"] { problems.append("network interfaces \(found["interfaces"]?.encodedString() ?? "?")") }
        if found["root"] != expectedRoot(sandbox) { problems.append("root holds \(found["root"]?.encodedString() ?? "?")") }
        return problems
    }

    /// What the probe reports from inside (python/mledojo_sandbox's worker runs it as a session's code).
    static let probe = #"""
        import json, os, socket
        status = {l.split(":")[0]: l.split()[1] for l in open("/proc/self/status") if ":" in l and len(l.split()) > 1}
        print(json.dumps({
            "uid": os.getuid(),
            "caps": sorted({status[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}),
            "seccomp": status.get("Seccomp"),
            "pid1": open("/proc/1/cmdline", "rb").read() != b"" and os.getppid() == 1,
            "interfaces": sorted(name for _, name in socket.if_nameindex()),
            "root": sorted(os.listdir("/")),
        }))
        """#

    /// The top-level entries of a session's root: the minimal root's and the session's mount points.
    static func expectedRoot(_ sandbox: Sandbox) -> JSONValue {
        let folders = SessionFolders(workspace: URL(fileURLWithPath: "/w"), publicData: URL(fileURLWithPath: "/d"),
                                     steps: URL(fileURLWithPath: "/s"), logs: URL(fileURLWithPath: "/l"))
        let top = sandbox.rootSteps(mounts: sandbox.workerMounts(folders), tmpBytes: 1).compactMap { step -> String? in
            switch step {
            case .bind(_, let path, _, _), .symlink(_, let path), .proc(let path), .dev(let path), .tmpfs(let path, _, _),
                 .directory(let path, _):
                return path.split(separator: "/").first.map(String.init)
            case .remountReadOnly: return nil
            }
        }
        return .array(Set(top).sorted().map(JSONValue.string))
    }

    /// Stops the fork server; its workers die with it (parent-death signals). Later requests fail.
    func stop() {
        state.withLock { state in
            state.stopped = true
            if state.pid > 0 { kill(state.pid, SIGKILL) }
            if state.control >= 0 { close(state.control) }
            (state.control, state.pid) = (-1, 0)
        }
    }

    /// Starts the process from a thread of its own, which then waits for it: the process's parent-death
    /// signal follows that thread, and its end is noticed at once.
    private func start() throws -> (Int32, pid_t) {
        var pair: [Int32] = [-1, -1]
        let made = pair.withUnsafeMutableBufferPointer { cspawn_socketpair(Int32(SOCK_SEQPACKET.rawValue), $0.baseAddress) }
        guard made == 0 else { throw EnvError(.internal, "cannot make the fork server's socket: errno \(made)") }
        let descriptor3 = try launch.descriptor3.map(ChildProcess.makeFilledPipe) ?? -1
        let logDescriptor = open(log.path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let started = Mutex<Result<pid_t, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let launch = launch
        let forkServerEnd = pair[1]
        let thread = Thread { [self] in
            let outcome = Result {
                try ChildProcess.spawn(launch.executable, [launch.executable] + launch.arguments, launch.environment, nil,
                                       stdin: forkServerEnd, stdout: logDescriptor >= 0 ? logDescriptor : 2,
                                       stderr: logDescriptor >= 0 ? logDescriptor : 2,
                                       passing: descriptor3 >= 0 ? [descriptor3] : [])
            }
            started.withLock { $0 = outcome }
            done.signal()
            guard case .success(let pid) = outcome else { return }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exited(pid)
        }
        thread.name = "fork-server"
        thread.start()
        done.wait()
        [pair[1], logDescriptor, descriptor3].forEach { if $0 >= 0 { _ = close($0) } }
        switch started.withLock({ $0 })! {
        case .success(let pid): return (pair[0], pid)
        case .failure(let error):
            close(pair[0])
            throw EnvError(.internal, "cannot start the fork server: \(error)")
        }
    }

    private func exited(_ pid: pid_t) {
        state.withLock { state in
            guard state.pid == pid else { return }
            if state.control >= 0 { close(state.control) }
            (state.control, state.pid) = (-1, 0)
        }
    }
}
