/// The limits of one code run. Server defaults, overridable per session through the reset budget.
public struct RunLimits: Sendable, Codable, Equatable {
    /// CPU seconds (RLIMIT_CPU); nil: the wall clock only.
    public var cpuSeconds: Double?
    /// Address space in bytes (RLIMIT_AS; never used for runs that may use a GPU).
    public var memoryBytes: Int?
    /// Largest file a run may write (RLIMIT_FSIZE).
    public var fileBytes: Int?
    /// Processes of the session's sandbox uid (RLIMIT_NPROC; enforced when runs have a uid of their own).
    public var processes: Int?
    public var openFiles: Int?
    /// Bytes of stdout or stderr a run may write before it is stopped with OUTPUT_LIMIT (the full log is kept).
    public var logBytes: Int
    /// Bytes of stdout and of stderr returned in the reply (head and tail).
    public var replyOutputBytes: Int
    /// Bytes the workspace may hold; a run that writes past it is stopped with DISK_LIMIT.
    public var workspaceBytes: Int
    /// Size of the sandbox's private /tmp.
    public var tmpBytes: Int

    public static let serverDefault = RunLimits(
        cpuSeconds: nil, memoryBytes: 4 << 30, fileBytes: 1 << 30, processes: 256, openFiles: 1024,
        logBytes: 16 << 20, replyOutputBytes: 64 << 10, workspaceBytes: 2 << 30, tmpBytes: 512 << 20)

    public init(cpuSeconds: Double?, memoryBytes: Int?, fileBytes: Int?, processes: Int?, openFiles: Int?,
                logBytes: Int, replyOutputBytes: Int, workspaceBytes: Int, tmpBytes: Int) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.fileBytes = fileBytes
        self.processes = processes
        self.openFiles = openFiles
        self.logBytes = logBytes
        self.replyOutputBytes = replyOutputBytes
        self.workspaceBytes = workspaceBytes
        self.tmpBytes = tmpBytes
    }

    /// Reads the optional limit fields of a reset `budget` (memory_mb, cpu_s, processes, file_mb,
    /// disk_mb, output_mb) over these defaults; each is range-checked by its `BudgetField`, and a session
    /// may only lower a server limit.
    public func overridden(by budget: JSONValue?) throws -> RunLimits {
        guard let object = budget?.objectValue else { return self }
        var limits = self
        func lowered(_ current: Int?, _ field: BudgetField, scale: Double) throws -> Int? {
            guard let requested = try field.read(object) else { return current }
            let value = BudgetField.whole(requested, scale: scale)
            return current.map { min($0, value) } ?? value
        }
        if let requested = try BudgetField.cpuSeconds.read(object) {
            limits.cpuSeconds = cpuSeconds.map { min($0, requested) } ?? requested
        }
        limits.memoryBytes = try lowered(memoryBytes, .memory, scale: 1_048_576)
        limits.fileBytes = try lowered(fileBytes, .fileSize, scale: 1_048_576)
        limits.processes = try lowered(processes, .processes, scale: 1)
        limits.workspaceBytes = try lowered(workspaceBytes, .disk, scale: 1_048_576) ?? workspaceBytes
        limits.logBytes = try lowered(logBytes, .output, scale: 1_048_576) ?? logBytes
        return limits
    }

    /// The limits object the in-sandbox worker applies with setrlimit.
    /// The limits the worker applies as rlimits; memory only as RLIMIT_AS when `addressSpace`.
    func workerLimits(addressSpace: Bool) -> JSONValue {
        [
            "cpu_s": .number(cpuSeconds), "memory_bytes": .number(addressSpace ? memoryBytes.map(Double.init) : nil),
            "file_bytes": .number(fileBytes.map(Double.init)), "processes": .number(processes.map(Double.init)),
            "open_files": .number(openFiles.map(Double.init)),
        ]
    }
}
