import Foundation

/// One command run once inside the sandbox, for code nobody reviewed that is not a session's: a task's
/// prepare and metric written by an LLM, a generator agent's shell. The sandbox's minimal root (`Sandbox`)
/// plus the given folders, each bound at its own path (so paths read the same inside and out), no
/// network, an environment of PATH and HOME only, the seccomp filter, and `prlimit` limits on memory,
/// processes, file size and CPU before the command starts; a wall clock over all of it.
///
/// A root server runs the command as `uid` (setpriv), and hands the writable folders to that uid first,
/// so what the command writes belongs to it and the process limit counts only its processes.
public struct SandboxedCommand: Sendable {
    /// A host folder the command sees, at the same path.
    public struct Folder: Sendable {
        public var url: URL
        public var writable: Bool

        public init(_ url: URL, writable: Bool = false) {
            self.url = url.standardizedFileURL
            self.writable = writable
        }
    }

    /// What one run may use.
    public struct Limits: Sendable {
        public var wallClockSeconds: Double
        public var memoryBytes: Int
        public var processes: Int
        public var fileBytes: Int
        /// Bytes of stdout and of stderr kept (head and tail).
        public var outputBytes: Int
        /// Size of the private /tmp.
        public var tmpBytes: Int

        public init(wallClockSeconds: Double = 600, memoryBytes: Int = 4 << 30, processes: Int = 128, fileBytes: Int = 1 << 30,
                    outputBytes: Int = 32 << 10, tmpBytes: Int = 512 << 20) {
            self.wallClockSeconds = wallClockSeconds
            self.memoryBytes = memoryBytes
            self.processes = processes
            self.fileBytes = fileBytes
            self.outputBytes = outputBytes
            self.tmpBytes = tmpBytes
        }
    }

    public let sandbox: Sandbox
    /// The host uid a root server runs commands as.
    public let uid: UInt32

    public init(sandbox: Sandbox, uid: UInt32 = 64998) {
        self.sandbox = sandbox
        self.uid = uid
    }

    /// Whether commands are isolated (false: `--unsafe-no-sandbox`, they run as the caller).
    public var isIsolated: Bool { sandbox.mode == .bubblewrap }

    /// Runs `command` (argv; `command[0]` a path or a name on /usr/bin) in `workingDirectory`, which must be
    /// one of `folders` or inside one. `environment` adds variables to PATH, HOME (the working directory)
    /// and the sandbox's usual thread limits.
    public func run(_ command: [String], in workingDirectory: URL, folders: [Folder], environment: [String: String] = [:],
                    limits: Limits = Limits()) async throws -> ProcessOutcome {
        guard !command.isEmpty else { throw EnvError(.badRequest, "no command to run") }
        let cwd = workingDirectory.standardizedFileURL.path
        var variables = Sandbox.ownPathEnvironment(home: cwd)
        variables += environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let limited = sandbox.limited(command, processes: limits.processes, fileBytes: limits.fileBytes,
                                      cpuSeconds: Int(limits.wallClockSeconds) + 5, memoryBytes: limits.memoryBytes)
        let processLimits = ProcessLimits(wallClockSeconds: limits.wallClockSeconds, outputBytes: limits.outputBytes)
        guard sandbox.mode == .bubblewrap else {
            return try await ChildProcess.run(executable: limited[0], arguments: Array(limited.dropFirst()), environment: variables,
                                              workingDirectory: cwd, limits: processLimits)
        }
        let uid: UInt32? = sandbox.setpriv == nil ? nil : self.uid
        if let uid {
            for folder in folders where folder.writable { try Self.handOver(folder.url, to: uid) }
        }
        let mounts = folders.map { Sandbox.Mount.ownPath($0.url, writable: $0.writable) }
        let launch = sandbox.launch(mounts: mounts, workingDirectory: cwd, uid: uid, tmpBytes: limits.tmpBytes,
                                    environment: variables, command: limited)
        let descriptor = try ChildProcess.makeFilledPipe(launch.descriptor3 ?? [])
        defer { close(descriptor) }
        return try await ChildProcess.run(executable: launch.executable, arguments: launch.arguments,
                                          environment: launch.environment, limits: processLimits, passing: [descriptor])
    }

    /// Gives `folder` and everything in it to `uid` (symbolic links themselves, never what they point to).
    static func handOver(_ folder: URL, to uid: UInt32) throws {
        guard lchown(folder.path, uid, uid) == 0 else {
            throw EnvError(.internal, "cannot hand \(folder.path) to the sandbox's uid \(uid): errno \(errno)")
        }
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return }
        for case let relative as String in walker {
            _ = lchown(folder.appending(path: relative).path, uid, uid)
        }
    }
}
