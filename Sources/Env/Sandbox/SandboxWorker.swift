import CSpawn
import Foundation
import Synchronization

/// How a run ended, as the in-sandbox worker reported it.
public struct WorkerRunExit: Sendable, Equatable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var memoryError: Bool
    public var cpuSeconds: Double
    public var maxResidentKilobytes: Int
}

/// One session's warm worker: a long-lived sandbox running `zygote.py`, which has pandas and
/// scikit-learn imported and forks a clean child per run. JSON lines over its stdin/stdout; a thread
/// of its own spawns it (bubblewrap's --die-with-parent follows that thread) and reads its events.
public final class SandboxWorker: Sendable {
    private struct State {
        var ready = false
        var alive = true
        var readyWaiters: [CheckedContinuation<Void, any Error>] = []
        var runs: [String: CheckedContinuation<WorkerRunExit, any Error>] = [:]
        var input: Int32 = -1
        /// A forked worker's socket, until its read loop ends (terminate shuts it down: a worker the fork
        /// server has not forked yet is then skipped, and the read loop ends).
        var channel: Int32 = -1
        var pid: pid_t = 0
        var failure = "the sandbox worker exited"
        /// The memory group's OOM kills when it was removed (the worker is gone, its count is not).
        var finalOOMKills: Int?
    }

    private let state = Mutex(State())
    /// The session's memory cgroup, when memory is limited that way.
    let memoryGroup: SessionMemoryGroup?
    private let runMemoryBytes: Int?
    /// Launched by this server (its child, waited for), not forked by the fork server.
    private let launched: Bool

    /// Starts the worker from `launch` (the sandbox's command line, all the environment it inherits and
    /// what it reads on descriptor 3).
    init(_ launch: Sandbox.Launch, memoryGroup: SessionMemoryGroup? = nil, runMemoryBytes: Int? = nil,
         workingDirectory: String? = nil, stderrLog: URL) throws {
        self.memoryGroup = memoryGroup
        self.runMemoryBytes = runMemoryBytes
        launched = true
        let descriptor3 = try launch.descriptor3.map(ChildProcess.makeFilledPipe) ?? -1
        let stdinPipe = try ChildProcess.makePipe()
        let stdoutPipe = try ChildProcess.makePipe()
        let logDescriptor = open(stderrLog.path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let thread = Thread { [self] in
            do {
                let pid = try ChildProcess.spawn(launch.executable, [launch.executable] + launch.arguments,
                                                 launch.environment, workingDirectory,
                                                 stdin: stdinPipe.0, stdout: stdoutPipe.1,
                                                 stderr: logDescriptor >= 0 ? logDescriptor : 2,
                                                 passing: descriptor3 >= 0 ? [descriptor3] : [])
                state.withLock { $0.pid = pid; $0.input = stdinPipe.1 }
            } catch {
                state.withLock { $0.failure = "cannot start the sandbox: \(error)" }
                close(stdinPipe.1)
            }
            [stdinPipe.0, stdoutPipe.1, logDescriptor, descriptor3].forEach { if $0 >= 0 { _ = close($0) } }
            readLoop(stdoutPipe.0)
        }
        thread.name = "sandbox-worker"
        thread.start()
    }

    /// Has the fork server fork the worker from `request` (`Sandbox.forkedWorkerRequest`); its events
    /// arrive on the socket the fork server hands it, `spawned` (its pid) first.
    init(forkedBy forkServer: ForkServer, request: JSONValue, memoryGroup: SessionMemoryGroup? = nil, runMemoryBytes: Int? = nil) {
        self.memoryGroup = memoryGroup
        self.runMemoryBytes = runMemoryBytes
        launched = false
        let thread = Thread { [self] in
            let channel: Int32
            do {
                channel = try forkServer.spawnWorker(request)
            } catch {
                state.withLock { $0.failure = "cannot start the sandbox: \(error)" }
                readLoop(-1)
                return
            }
            let input = dup(channel)
            let terminated = state.withLock { state in
                state.input = input
                state.channel = channel
                state.failure = "the fork server ended before it started the worker (its log: \(forkServer.log.path))"
                return !state.alive
            }
            if terminated { shutdown(channel, Int32(SHUT_RDWR)) }  // stopped while its request was being sent
            readLoop(channel)
        }
        thread.name = "sandbox-worker"
        thread.start()
    }

    public var isAlive: Bool { state.withLock { $0.alive } }

    /// Waits until the worker has imported its libraries, at most `timeout` seconds.
    public func waitUntilReady(timeout: Double) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<Void, EnvError>? = state.withLock { state in
                if state.ready { return .success(()) }
                if !state.alive { return .failure(EnvError(.internal, state.failure)) }
                state.readyWaiters.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Sends a run and waits for its end. The caller's watchdog enforces wall clock, output and disk.
    func run(_ command: [String: JSONValue], id: String) async throws -> WorkerRunExit {
        try await withCheckedThrowingContinuation { continuation in
            let input: Int32? = state.withLock { state in
                guard state.alive, state.input >= 0 else { return nil }
                state.runs[id] = continuation
                return state.input
            }
            guard let input else {
                continuation.resume(throwing: EnvError(.internal, "the sandbox worker is not running"))
                return
            }
            var message = command
            message["op"] = "run"
            message["run"] = .string(id)
            if !JSONLines.write(.object(message), to: input) { terminate(reason: "the sandbox worker stopped reading") }
        }
    }

    /// Kills every process of the runs in flight (the worker survives and reports them done).
    func killRuns() {
        let input = state.withLock { $0.alive ? $0.input : -1 }
        if input >= 0 { _ = JSONLines.write(["op": "kill"], to: input) }
    }

    /// Stops the whole sandbox; waiting runs fail.
    public func terminate(reason: String = "the sandbox worker was stopped") {
        let (pid, waiting, readyWaiting) = state.withLock { state in
            state.alive = false
            state.failure = reason
            defer { state.runs = [:]; state.readyWaiters = [] }
            return (state.pid, Array(state.runs.values), state.readyWaiters)
        }
        if pid > 0 { kill(pid, SIGKILL) }
        state.withLock { state in
            if state.channel >= 0 { shutdown(state.channel, Int32(SHUT_RDWR)) }
        }
        memoryGroup?.killMembers()  // the whole sandbox, not only bubblewrap's own process
        waiting.forEach { $0.resume(throwing: EnvError(.internal, reason)) }
        readyWaiting.forEach { $0.resume(throwing: EnvError(.internal, reason)) }
    }

    private func readLoop(_ descriptor: Int32) {
        if descriptor >= 0 {
            JSONLines.read(from: descriptor, deliver: deliver)
            state.withLock { $0.channel = -1 }
            close(descriptor)
        }
        // A forked worker's socket ends when it is gone, and its parent has reaped it: no kill to a reused pid.
        if !launched { state.withLock { $0.pid = 0 } }
        let (pid, input) = state.withLock { ($0.pid, $0.input) }
        terminate(reason: state.withLock { $0.failure })
        if input >= 0 { close(input) }
        if launched, pid > 0 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        if let memoryGroup {
            let kills = memoryGroup.oomKills
            state.withLock { $0.finalOOMKills = kills }
            memoryGroup.remove()
        }
    }

    /// How many processes the OOM killer ended in this sandbox's memory group (nil: no group).
    var oomKills: Int? {
        guard let memoryGroup else { return nil }
        return state.withLock { $0.finalOOMKills } ?? memoryGroup.oomKills
    }

    private func deliver(_ event: JSONValue) {
        switch event["event"]?.stringValue {
        case "spawned":  // a forked worker's pid, as this server sees it
            if let pid = event["pid"]?.integerValue.flatMap({ pid_t(exactly: $0) }), pid > 1 {
                state.withLock { state in
                    state.pid = pid
                    state.failure = "the sandbox worker exited"
                }
            }
        case "failed":
            state.withLock { $0.failure = "cannot start the sandbox: \(event["error"]?.stringValue ?? "the fork server failed")" }
        case "ready":
            if let memoryGroup, let runMemoryBytes, let usage = memoryGroup.usage {
                memoryGroup.setLimit(usage + runMemoryBytes)  // each run may use its budget on top of the worker
            }
            let waiting = state.withLock { state in
                state.ready = true
                defer { state.readyWaiters = [] }
                return state.readyWaiters
            }
            waiting.forEach { $0.resume() }
        case "done":
            guard let id = event["run"]?.stringValue else { return }
            let exit = WorkerRunExit(
                exitCode: event["exit_code"]?.integerValue.flatMap { Int32(exactly: $0) },
                signal: event["signal"]?.integerValue.flatMap { Int32(exactly: $0) },
                memoryError: event["memory_error"]?.boolValue ?? false,
                cpuSeconds: event["cpu_s"]?.numberValue ?? 0,
                maxResidentKilobytes: event["max_rss_kb"]?.integerValue ?? 0)
            state.withLock { $0.runs.removeValue(forKey: id) }?.resume(returning: exit)
        default:
            break
        }
    }
}
