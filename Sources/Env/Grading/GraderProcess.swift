import CSpawn
import Foundation
import Synchronization

/// One running `python -m mledojo.grader`: JSON lines in on stdin, JSON lines out on stdout, matched by id.
/// A reader thread owns stdout; callers wait on continuations, never on a blocking read. Requests are
/// written by one serial queue: two writes over the pipe's 64 KiB would otherwise interleave their
/// bytes (code over 64 KiB checked in two sessions at once was never answered), and a write the busy
/// grader cannot take yet blocks that queue, not a thread of Swift's cooperative pool.
final class GraderProcess: Sendable {
    private struct State {
        var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        var nextID = 1
        var alive = true
        var inputClosed = false
    }

    private let input: Int32
    private let output: Int32
    private let state = Mutex(State())
    private let processID = Mutex<pid_t>(0)
    private let writer = DispatchQueue(label: "mledojo.grader-input")

    /// Starts `launch` (a plain `python -m mledojo.grader`, or one inside the sandbox) from a thread of its
    /// own, which then reads its replies: bubblewrap's --die-with-parent follows the thread that spawned it,
    /// so that thread lives exactly as long as the grader.
    init(_ launch: Sandbox.Launch, workingDirectory: String? = nil) throws {
        let descriptor3 = try launch.descriptor3.map(ChildProcess.makeFilledPipe) ?? -1
        let stdinPipe: (Int32, Int32)
        let stdoutPipe: (Int32, Int32)
        do {
            stdinPipe = try ChildProcess.makePipe()
            do { stdoutPipe = try ChildProcess.makePipe() } catch {
                [stdinPipe.0, stdinPipe.1].forEach { _ = close($0) }
                throw error
            }
        } catch {
            if descriptor3 >= 0 { close(descriptor3) }
            throw error
        }
        input = stdinPipe.1
        output = stdoutPipe.0
        let started = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        let thread = Thread { [self] in
            do {
                let pid = try ChildProcess.spawn(launch.executable, [launch.executable] + launch.arguments, launch.environment,
                                                 workingDirectory, stdin: stdinPipe.0, stdout: stdoutPipe.1, stderr: 2,
                                                 passing: descriptor3 >= 0 ? [descriptor3] : [])
                processID.withLock { $0 = pid }
            } catch {
                failure.withLock { $0 = error }
            }
            [stdinPipe.0, stdoutPipe.1, descriptor3].forEach { if $0 >= 0 { _ = close($0) } }
            let spawned = failure.withLock { $0 == nil }
            started.signal()
            if spawned {
                readLoop()
            } else {
                state.withLock { $0.alive = false; $0.inputClosed = true }
                [input, output].forEach { _ = close($0) }
            }
        }
        thread.name = "grader"
        thread.start()
        started.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// A plain `python -m mledojo.grader` (the trusted grader) with `runtimePath` on its PYTHONPATH.
    convenience init(python: String, runtimePath: String, arguments: [String] = []) throws {
        let environment = [
            "PATH=/usr/bin:/bin", "PYTHONPATH=\(runtimePath)", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
            "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "LANG=C.UTF-8",
        ]
        try self.init(Sandbox.Launch(executable: python, arguments: ["-m", "mledojo.grader"] + arguments,
                                     environment: environment, descriptor3: nil))
    }

    var pid: pid_t { processID.withLock { $0 } }

    var isAlive: Bool { state.withLock { $0.alive } }

    /// Sends one request (an `id` is added) and waits for its reply, at most `timeout` seconds.
    func call(_ request: [String: JSONValue], timeout: Double) async throws -> JSONValue {
        try await withCheckedThrowingContinuation { continuation in
            let id: Int? = state.withLock { state in
                guard state.alive else { return nil }
                let id = state.nextID
                state.nextID += 1
                state.pending[id] = continuation
                return id
            }
            guard let id else {
                continuation.resume(throwing: EnvError(.internal, "the grader process is not running"))
                return
            }
            var message = request
            message["id"] = .number(Double(id))
            writer.async { [self, message] in
                guard !state.withLock({ $0.inputClosed }) else { return }
                if !JSONLines.write(.object(message), to: input) { terminate(reason: "the grader's input is closed") }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                let stuck = state.withLock { $0.pending[id] != nil }
                if stuck { terminate(reason: "the grader did not answer within \(Int(timeout)) s", code: .timeout) }
            }
        }
    }

    /// Takes no more calls; the worker answers those already sent, then exits as its input closes.
    func retire() {
        state.withLock { $0.alive = false }
        writer.async { [self] in closeInput() }
    }

    /// Kills the worker and fails every waiting call.
    func terminate(reason: String, code: ErrorCode = .internal) {
        let waiting = state.withLock { state -> [CheckedContinuation<JSONValue, any Error>] in
            state.alive = false
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        let pid = self.pid
        if pid > 0 { kill(pid, SIGKILL) }
        waiting.forEach { $0.resume(throwing: EnvError(code, reason)) }
    }

    private func readLoop() {
        JSONLines.read(from: output) { reply in
            guard let id = reply["id"]?.integerValue else { return }
            state.withLock { $0.pending.removeValue(forKey: id) }?.resume(returning: reply)
        }
        close(output)
        // On the writer's queue, so no queued request is written to a closed (or reused) descriptor.
        writer.async { [self] in closeInput() }
        terminate(reason: "the grader process exited")
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        processID.withLock { $0 = 0 }  // reaped: its number may be another process's now
    }

    /// Closes the worker's input once (on the writer's queue).
    private func closeInput() {
        let open = state.withLock { state -> Bool in
            defer { state.inputClosed = true }
            return !state.inputClosed
        }
        if open { close(input) }
    }
}
