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

    /// Forks one worker for a throwaway session under `folder` and waits until it is ready: nil when it
    /// is, else why not (the pool then launches workers through bubblewrap instead).
    func check(sandbox: Sandbox, in folder: URL, timeout: Double) async -> String? {
        let root = folder.appending(path: ".fork-check-\(UUID().uuidString.prefix(8).lowercased())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folders = SessionFolders(workspace: root.appending(path: "workspace"), publicData: root.appending(path: "data"),
                                     steps: root.appending(path: "steps"), logs: root.appending(path: "logs"))
        do {
            for made in [folders.workspace, folders.publicData, folders.steps, folders.logs] {
                try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
            }
            let request = sandbox.forkedWorkerRequest(folders, uid: nil, limits: .serverDefault, log: root.appending(path: "worker.log"),
                                                      memoryGroup: nil)
            let worker = SandboxWorker(forkedBy: self, request: request)
            defer { worker.terminate(reason: "the fork server's check is over") }
            try await worker.waitUntilReady(timeout: timeout)
            return nil
        } catch {
            return "\(error)"
        }
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
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logDescriptor = open(log.path, O_WRONLY | O_APPEND | O_CLOEXEC)
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
