import Foundation
import Synchronization

/// The result of one supervised run, typed (protocol.md lists the statuses).
struct RunRecord: Sendable {
    var status: String
    var errorType: String?
    var exitCode: Int32?
    var signal: Int32?
    var stdout: CapturedOutput
    var stderr: CapturedOutput
    var durationSeconds: Double
    var cpuSeconds: Double?
    var maxResidentKilobytes: Int?
    var note: String?
}

/// Runs one code file on a session's warm worker and watches it: wall clock, cancellation, output
/// volume and workspace disk use. A run that crosses a line has all its processes killed and ends
/// with a typed status; the session and the worker go on.
struct RunSupervisor {
    enum StopReason: String { case timeout, cancelled, output, disk }

    let worker: SandboxWorker
    let folders: SessionFolders
    let agentPaths: (data: String, workspace: String, code: String, logs: String)
    let limits: RunLimits
    let wallClock: Double
    let persistent: Bool
    let cancellation: RunCancellation
    /// RLIMIT_AS for the run (no memory cgroup, no GPU).
    let limitsAddressSpace: Bool

    func run(sequence: Int, artifacts: URL) async -> RunRecord {
        let stdoutLog = folders.logs.appending(path: "\(sequence).out")
        let stderrLog = folders.logs.appending(path: "\(sequence).err")
        let command: [String: JSONValue] = [
            "code": .string("\(agentPaths.code)/\(sequence)/main.py"),
            "stdout": .string("\(agentPaths.logs)/\(sequence).out"), "stderr": .string("\(agentPaths.logs)/\(sequence).err"),
            "limits": limits.workerLimits(addressSpace: limitsAddressSpace), "persistent": .bool(persistent),
        ]
        let oomKillsBefore = worker.oomKills
        let started = Date()
        let stopReason = Mutex<StopReason?>(nil)
        let startingUsage = Self.diskUsage(folders.workspace, cap: Int.max) + Self.diskUsage(folders.logs, cap: Int.max)
        let watchdog = _Concurrency.Task {
            var tick = 0
            while !_Concurrency.Task.isCancelled {
                try? await _Concurrency.Task.sleep(for: .milliseconds(20))
                tick += 1
                var reason: StopReason?
                if cancellation.isCancelled { reason = .cancelled }
                else if Date().timeIntervalSince(started) > wallClock { reason = .timeout }
                else if Self.size(stdoutLog) > limits.logBytes || Self.size(stderrLog) > limits.logBytes { reason = .output }
                else if tick % 10 == 0 {
                    let cap = max(limits.workspaceBytes, startingUsage) + limits.workspaceBytes
                    let usage = Self.diskUsage(folders.workspace, cap: cap) + Self.diskUsage(folders.logs, cap: cap)
                        - Self.size(stdoutLog) - Self.size(stderrLog)
                    if usage > limits.workspaceBytes && usage > startingUsage { reason = .disk }
                }
                if let reason {
                    stopReason.withLock { $0 = $0 ?? reason }
                    worker.killRuns()
                    try? await _Concurrency.Task.sleep(for: .seconds(3))
                    if !_Concurrency.Task.isCancelled { worker.terminate(reason: "the sandbox did not stop the run") }
                    return
                }
            }
        }
        let exit: WorkerRunExit?
        var note: String?
        do {
            exit = try await worker.run(command, id: String(sequence))
        } catch {
            exit = nil
            note = "the sandbox worker died during the run (\(error)); it is restarted for the next run"
        }
        watchdog.cancel()
        if stopReason.withLock({ $0 }) == nil {
            let cap = max(limits.workspaceBytes, startingUsage) + limits.workspaceBytes
            let usage = Self.diskUsage(folders.workspace, cap: cap) + Self.diskUsage(folders.logs, cap: cap)
                - Self.size(stdoutLog) - Self.size(stderrLog)
            if usage > limits.workspaceBytes && usage > startingUsage { stopReason.withLock { $0 = .disk } }
        }
        let duration = Date().timeIntervalSince(started)
        let stdout = Self.capture(stdoutLog, keeping: limits.replyOutputBytes, movedTo: artifacts.appending(path: "stdout.log"))
        let stderr = Self.capture(stderrLog, keeping: limits.replyOutputBytes, movedTo: artifacts.appending(path: "stderr.log"))
        let oomKilled = oomKillsBefore.map { (worker.oomKills ?? $0) > $0 } ?? false
        let (status, errorType) = classify(exit, stopReason.withLock { $0 }, oomKilled: oomKilled)
        return RunRecord(status: status, errorType: errorType, exitCode: exit?.exitCode, signal: exit?.signal,
                         stdout: stdout, stderr: stderr, durationSeconds: duration, cpuSeconds: exit?.cpuSeconds,
                         maxResidentKilobytes: exit?.maxResidentKilobytes, note: note)
    }

    private func classify(_ exit: WorkerRunExit?, _ reason: StopReason?, oomKilled: Bool) -> (String, String?) {
        switch reason {
        case .cancelled: return ("CANCELLED", nil)
        case .timeout: return ("TIMEOUT", "CodeTimeoutError")
        case .output: return ("OUTPUT_LIMIT", "SandboxOutputLimitError")
        case .disk: return ("DISK_LIMIT", "SandboxDiskLimitError")
        case nil: break
        }
        if oomKilled { return ("OUT_OF_MEMORY", "SandboxMemoryError") }  // the cgroup's OOM killer ended it
        guard let exit else { return ("FAILED", "SandboxError") }
        if exit.memoryError { return ("OUT_OF_MEMORY", "SandboxMemoryError") }
        if exit.signal == SIGXCPU || (exit.signal == SIGKILL && limits.cpuSeconds.map { exit.cpuSeconds >= $0 } == true) {
            return ("CPU_LIMIT", "SandboxCPUTimeError")
        }
        if exit.signal == SIGXFSZ { return ("FILE_SIZE_LIMIT", "SandboxFileSizeError") }
        if let memory = limits.memoryBytes, exit.signal == SIGKILL || exit.signal == SIGSEGV || exit.signal == SIGABRT,
            Double(exit.maxResidentKilobytes) * 1024 > Double(memory) * 0.9 {
            return ("OUT_OF_MEMORY", "SandboxMemoryError")
        }
        if exit.exitCode == 0 { return ("SUCCESS", nil) }
        return ("FAILED", "CodeRuntimeError")
    }

    static func size(_ file: URL) -> Int {
        var info = stat()
        return lstat(file.path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Bytes allocated under a folder (symlinks not followed), counting stops past `cap`.
    static func diskUsage(_ folder: URL, cap: Int) -> Int {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.totalFileAllocatedSizeKey],
                                                          options: [], errorHandler: { _, _ in true })
        else { return 0 }
        var total = 0
        for case let file as URL in walker {
            var info = stat()
            if lstat(file.path, &info) == 0 { total += Int(info.st_blocks) * 512 }
            if total > cap { break }
        }
        return total
    }

    /// Reads the head and tail of a log the sandbox wrote (never following a symlink it may have
    /// planted), then moves it next to the step's other artifacts.
    static func capture(_ log: URL, keeping limit: Int, movedTo destination: URL) -> CapturedOutput {
        defer {
            try? FileManager.default.removeItem(at: destination)
            try? FileManager.default.moveItem(at: log, to: destination)
        }
        let descriptor = open(log.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return CapturedOutput(text: "", totalBytes: 0, truncated: false) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return CapturedOutput(text: "[output unavailable: the log is not a regular file]", totalBytes: 0, truncated: true)
        }
        let total = Int(info.st_size)
        let capture = OutputCapture(limit: limit, logFile: nil, logLimit: 0)
        if total <= limit {
            let data = (try? handle.readToEnd()) ?? Data()
            data.withUnsafeBytes { capture.append($0) }
        } else {
            let head = (try? handle.read(upToCount: limit / 2)) ?? nil
            try? handle.seek(toOffset: UInt64(total - (limit - limit / 2)))
            let tail = (try? handle.readToEnd()) ?? nil
            (head ?? Data()).withUnsafeBytes { capture.append($0) }
            capture.skip(total - (head?.count ?? 0) - (tail?.count ?? 0))
            (tail ?? Data()).withUnsafeBytes { capture.append($0) }
        }
        return capture.finish()
    }
}
