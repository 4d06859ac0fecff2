import CSpawn
import Foundation

/// How a supervised process ended.
public struct ProcessOutcome: Sendable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var cancelled: Bool
    public var stdout: CapturedOutput
    public var stderr: CapturedOutput
    public var durationSeconds: Double
}

/// Limits for one supervised process.
public struct ProcessLimits: Sendable {
    public var wallClockSeconds: Double
    /// Bytes of stdout and of stderr kept in the reply (head and tail).
    public var outputBytes: Int
    /// Bytes of each stream written to the run's log files.
    public var logBytes: Int

    public init(wallClockSeconds: Double, outputBytes: Int = 64 * 1024, logBytes: Int = 16 * 1024 * 1024) {
        self.wallClockSeconds = wallClockSeconds
        self.outputBytes = outputBytes
        self.logBytes = logBytes
    }
}

/// Runs a program to completion under a wall clock, capturing its output, on a thread of its own
/// (blocking waits never occupy Swift's cooperative pool). The whole process group is killed on
/// timeout or cancellation.
public enum ChildProcess {
    public static func run(
        executable: String, arguments: [String], environment: [String], workingDirectory: String? = nil,
        limits: ProcessLimits, logDirectory: URL? = nil, cancellation: RunCancellation? = nil, passing: [Int32] = []
    ) async throws -> ProcessOutcome {
        let stdoutPipe = try makePipe()
        let stderrPipe = try makePipe()
        // Spawn from the supervising thread itself: bubblewrap's --die-with-parent fires when the *thread*
        // that started it exits, and the cooperative pool's threads come and go.
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let started = Date()
                let pid: pid_t
                do {
                    pid = try spawn(executable, [executable] + arguments, environment, workingDirectory,
                                    stdout: stdoutPipe.1, stderr: stderrPipe.1, passing: passing)
                } catch {
                    [stdoutPipe.0, stdoutPipe.1, stderrPipe.0, stderrPipe.1].forEach { _ = close($0) }
                    continuation.resume(throwing: error)
                    return
                }
                close(stdoutPipe.1)
                close(stderrPipe.1)
                let supervisor = Supervisor(
                    pid: pid, stdout: stdoutPipe.0, stderr: stderrPipe.0, limits: limits,
                    logDirectory: logDirectory, cancellation: cancellation, started: started)
                continuation.resume(returning: supervisor.supervise())
            }
            thread.name = "child-process"
            thread.start()
        }
    }

    static func makePipe() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let result = fds.withUnsafeMutableBufferPointer { cspawn_pipe($0.baseAddress) }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        return (fds[0], fds[1])
    }

    /// A pipe that already holds `bytes` (at most a pipe's 64 KiB) and whose write end is closed; returns
    /// the read end, for a child that reads it to its end (bubblewrap's --seccomp).
    static func makeFilledPipe(_ bytes: [UInt8]) throws -> Int32 {
        guard bytes.count <= 65536 else { throw EnvError(.internal, "\(bytes.count) bytes do not fit in a pipe") }
        let (readEnd, writeEnd) = try makePipe()
        defer { close(writeEnd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                close(readEnd)
                throw EnvError(.internal, "cannot fill a pipe: errno \(errno)")
            }
            written += count
        }
        return readEnd
    }

    /// Starts a process; `stdin` of -1 means /dev/null. The child gets `passing` as descriptors 3, 4, ...
    static func spawn(_ path: String, _ argv: [String], _ environment: [String], _ workingDirectory: String?,
                      stdin: Int32 = -1, stdout: Int32, stderr: Int32, passing: [Int32] = []) throws -> pid_t {
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        let result = cArguments.withUnsafeBufferPointer { argvBuffer in
            cEnvironment.withUnsafeBufferPointer { envBuffer in
                passing.withUnsafeBufferPointer { passed in
                    cspawn_start(path, argvBuffer.baseAddress, envBuffer.baseAddress, workingDirectory,
                                 stdin, stdout, stderr, passed.baseAddress, Int32(passed.count), &pid)
                }
            }
        }
        guard result == 0 else {
            throw EnvError(.internal, "cannot start \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }
}

/// The blocking half of `ChildProcess.run`, owned by one thread.
private final class Supervisor {
    let pid: pid_t
    let stdoutDescriptor: Int32
    let stderrDescriptor: Int32
    let limits: ProcessLimits
    let cancellation: RunCancellation?
    let started: Date
    let stdoutCapture: OutputCapture
    let stderrCapture: OutputCapture

    init(pid: pid_t, stdout: Int32, stderr: Int32, limits: ProcessLimits, logDirectory: URL?,
         cancellation: RunCancellation?, started: Date) {
        self.pid = pid
        self.stdoutDescriptor = stdout
        self.stderrDescriptor = stderr
        self.limits = limits
        self.cancellation = cancellation
        self.started = started
        stdoutCapture = OutputCapture(limit: limits.outputBytes, logFile: logDirectory?.appending(path: "stdout.log"), logLimit: limits.logBytes)
        stderrCapture = OutputCapture(limit: limits.outputBytes, logFile: logDirectory?.appending(path: "stderr.log"), logLimit: limits.logBytes)
    }

    func supervise() -> ProcessOutcome {
        let deadline = started.addingTimeInterval(limits.wallClockSeconds)
        var open: [Int32: OutputCapture] = [stdoutDescriptor: stdoutCapture, stderrDescriptor: stderrCapture]
        var timedOut = false
        var cancelled = false
        var killedAt: Date?
        var buffer = [UInt8](repeating: 0, count: 65536)

        while !open.isEmpty {
            let now = Date()
            if killedAt == nil {
                if now >= deadline { timedOut = true; killedAt = killTree(now) }
                else if cancellation?.isCancelled == true { cancelled = true; killedAt = killTree(now) }
            }
            // Descendants that escaped the group may hold the pipes: stop reading shortly after the kill.
            if let killedAt, now.timeIntervalSince(killedAt) > 2 { break }
            var fds = open.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if let cancellation, killedAt == nil {
                fds.append(pollfd(fd: cancellation.readDescriptor, events: Int16(POLLIN), revents: 0))
            }
            let wait: Int32 = killedAt == nil ? Int32(max(1, min(200, deadline.timeIntervalSince(now) * 1000 + 1))) : 50
            let ready = poll(&fds, nfds_t(fds.count), wait)
            guard ready > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                guard let capture = open[entry.fd] else { continue }  // the cancellation pipe: handled above
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffer.withUnsafeBytes { capture.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(entry.fd)
                    open[entry.fd] = nil
                }
            }
        }
        open.keys.forEach { _ = close($0) }

        // Output is closed; the process may still be running (it closed its streams): keep the deadline.
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { break }
            let now = Date()
            if killedAt == nil && now >= deadline { timedOut = true; killedAt = killTree(now) }
            if killedAt == nil && cancellation?.isCancelled == true { cancelled = true; killedAt = killTree(now) }
            usleep(2000)
        }
        if killedAt == nil { kill(-pid, SIGKILL) }  // leftovers in the group (sleeping children) go too
        let exited = status & 0x7f == 0
        return ProcessOutcome(
            exitCode: exited ? (status >> 8) & 0xff : nil,
            signal: exited ? nil : status & 0x7f,
            timedOut: timedOut, cancelled: cancelled,
            stdout: stdoutCapture.finish(), stderr: stderrCapture.finish(),
            durationSeconds: Date().timeIntervalSince(started))
    }

    @discardableResult
    private func killTree(_ now: Date) -> Date {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        return now
    }
}
