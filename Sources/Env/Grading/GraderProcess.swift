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

    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private let state = Mutex(State())
    private let writer = DispatchQueue(label: "mledojo.grader-input")

    init(python: String, runtimePath: String) throws {
        let stdinPipe = try ChildProcess.makePipe()
        let stdoutPipe = try ChildProcess.makePipe()
        let environment = [
            "PATH=/usr/bin:/bin", "PYTHONPATH=\(runtimePath)", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
            "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "LANG=C.UTF-8",
        ]
        do {
            pid = try ChildProcess.spawn(python, [python, "-m", "mledojo.grader"], environment, nil,
                                         stdin: stdinPipe.0, stdout: stdoutPipe.1, stderr: 2)
        } catch {
            [stdinPipe.0, stdinPipe.1, stdoutPipe.0, stdoutPipe.1].forEach { _ = close($0) }
            throw error
        }
        close(stdinPipe.0)
        close(stdoutPipe.1)
        input = stdinPipe.1
        output = stdoutPipe.0
        let thread = Thread { [self] in readLoop() }
        thread.name = "grader-\(pid)"
        thread.start()
    }

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

    /// Kills the worker and fails every waiting call.
    func terminate(reason: String, code: ErrorCode = .internal) {
        let waiting = state.withLock { state -> [CheckedContinuation<JSONValue, any Error>] in
            state.alive = false
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        kill(pid, SIGKILL)
        waiting.forEach { $0.resume(throwing: EnvError(code, reason)) }
    }

    private func readLoop() {
        JSONLines.read(from: output) { reply in
            guard let id = reply["id"]?.integerValue else { return }
            state.withLock { $0.pending.removeValue(forKey: id) }?.resume(returning: reply)
        }
        close(output)
        // On the writer's queue, so no queued request is written to a closed (or reused) descriptor.
        writer.async { [self] in
            state.withLock { $0.inputClosed = true }
            close(input)
        }
        terminate(reason: "the grader process exited")
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
