import Foundation

/// Where a session's files are on the host.
public struct SessionFolders: Sendable {
    public let workspace: URL
    public let publicData: URL
    /// runs/<session>/steps: each step's code (and the server's copies of submissions and logs).
    public let steps: URL
    /// runs/<session>/logs: where runs write stdout and stderr.
    public let logs: URL
}

/// How agent code is isolated, and the command that starts a session's warm worker.
///
/// Sandboxed mode: bubblewrap with a minimal root — /usr, the Python environment, the worker script,
/// the task's public data read-only at /data, the workspace at /workspace, the session's code read-only
/// at /code and its logs at /logs; no network, no capabilities, PID, mount, IPC and UTS namespaces, an
/// empty environment, a seccomp filter (`SandboxSyscallPolicy`), and the worker itself as PID 1 (no
/// bubblewrap init inside whose memory a run could write through /proc/1/mem).
///
/// Two layouts: a server that is not root runs bubblewrap in a user namespace (uid 65534 inside, the
/// server's uid outside). A root server runs bubblewrap as root, so it reaches any folder, and the
/// sandbox's first command is `setpriv`, which drops to a uid of the session's own before the worker
/// starts — so files agent code writes belong to that uid and RLIMIT_NPROC counts only its processes.
public struct Sandbox: Sendable {
    public enum Mode: String, Sendable { case bubblewrap, unsafeNoSandbox = "none" }

    public let mode: Mode
    public let bubblewrap: String
    /// `setpriv` (under /usr, so visible inside) to drop to the session's own uid; nil when the server is
    /// not root.
    public let setpriv: String?
    public let pythonEnvironment: URL
    /// python/mledojo_sandbox: the worker script, bound read-only into the sandbox.
    public let workerDirectory: URL
    /// The compiled seccomp filter bubblewrap installs before the first command (descriptor 3).
    public let seccompFilter: [UInt8]?
    /// Where each session's sandbox gets a memory cgroup (nil: memory is limited by RLIMIT_AS).
    public let memoryGroups: MemoryCgroups?
    /// Runs may use a GPU (serve --gpu): never an address-space limit.
    public let gpu: Bool
    /// How session workers start where both ways work (the root layout): forked from the fork server, or
    /// each launched through bubblewrap.
    public var workerStart: WorkerStart = .forkServer

    public init(mode: Mode, bubblewrap: String, setpriv: String?, pythonEnvironment: URL, workerDirectory: URL,
                seccompFilter: [UInt8]? = nil, memoryGroups: MemoryCgroups? = nil, gpu: Bool = false) {
        self.mode = mode
        self.bubblewrap = bubblewrap
        self.setpriv = setpriv
        self.pythonEnvironment = pythonEnvironment.standardizedFileURL
        self.workerDirectory = workerDirectory.standardizedFileURL
        self.seccompFilter = seccompFilter
        self.memoryGroups = memoryGroups
        self.gpu = gpu
    }

    /// Whether each session runs under a host uid of its own (RLIMIT_NPROC then counts only its processes):
    /// a root server that drops with setpriv, or a server that is not root (its user namespace).
    public var givesSessionsOwnUIDs: Bool { setpriv != nil || (mode == .bubblewrap && getuid() != 0) }

    /// Whether runs get RLIMIT_AS: only without a memory cgroup, and never when they may use a GPU.
    public var limitsAddressSpace: Bool { memoryGroups == nil && !gpu }

    /// A host folder or file mounted into the sandbox.
    struct Mount: Sendable {
        let source: String
        let destination: String
        var writable = false
    }

    /// What starts a sandbox: the program, its arguments and environment, and the bytes to pass on
    /// descriptor 3 (the seccomp filter), if any.
    struct Launch: Sendable {
        let executable: String
        let arguments: [String]
        let environment: [String]
        let descriptor3: [UInt8]?

        /// The same launch, entering `group` first: a shell writes its pid to the group's cgroup.procs
        /// and execs the sandbox, so every process of it is born inside the group.
        func joining(_ group: SessionMemoryGroup) -> Launch {
            Launch(executable: "/bin/sh",
                   arguments: ["-c", "echo $$ > \"$0\" && exec \"$@\"", group.processesFile.path, executable] + arguments,
                   environment: environment, descriptor3: descriptor3)
        }
    }

    public var python: String { pythonEnvironment.appending(path: "bin/python").path }

    /// The host folders agent code sees into (`launch` mounts them or folders inside them): /usr, /etc,
    /// the Python environment, the worker script, the tasks' public data (under `tasks`, and wherever
    /// `taskFolders` lead) and the session folders (under `runs`). Nothing else of the host is there, so
    /// a socket outside them (the admin endpoint's) cannot be seen or reached. Empty without the sandbox,
    /// where agent code reaches whatever the server's user can.
    public func hostFoldersVisible(tasks: URL, runs: URL, taskFolders: [URL] = []) -> [URL] {
        guard mode == .bubblewrap else { return [] }
        let system = ["/usr", "/etc"].map { URL(fileURLWithPath: $0) }
        return system + [pythonEnvironment, workerDirectory, tasks, runs] + taskFolders.map { $0.appending(path: "data/public") }
    }

    /// The paths agent code sees for a session's folders.
    public func agentPaths(_ folders: SessionFolders) -> (data: String, workspace: String, code: String, logs: String) {
        switch mode {
        case .bubblewrap: ("/data", "/workspace", "/code", "/logs")
        case .unsafeNoSandbox: (folders.publicData.path, folders.workspace.path, folders.steps.path, folders.logs.path)
        }
    }

    /// The agent-visible data and output paths of a task's session (for request_info and feedback).
    /// In the sandbox they are fixed, and the host path is not even built (every step asks for it).
    public func agentDataPath(_ publicData: @autoclosure () -> URL) -> String { mode == .bubblewrap ? "/data" : publicData().path }
    public func agentWorkspacePath(_ workspace: URL) -> String { mode == .bubblewrap ? "/workspace" : workspace.path }

    /// The environment of agent code: nothing of the server's.
    func agentEnvironment(_ folders: SessionFolders) -> [String] {
        agentEnvironment(workspace: agentPaths(folders).workspace)
    }

    /// The environment of agent code whose workspace is at `workspace`.
    func agentEnvironment(workspace: String) -> [String] {
        [
            "PATH=/usr/bin:/bin", "HOME=\(workspace)", "LANG=C.UTF-8", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
            "MPLBACKEND=Agg", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "TMPDIR=/tmp",
            "MLEDOJO_OWN_PID_NAMESPACE=\(mode == .bubblewrap ? "1" : "0")",
        ]
    }

    /// What starts a session's worker.
    func workerLaunch(_ folders: SessionFolders, uid: UInt32?, limits: RunLimits) -> Launch {
        let workerScript = "zygote.py"
        guard mode == .bubblewrap else {
            return Launch(executable: python, arguments: ["-u", workerDirectory.appending(path: workerScript).path],
                          environment: agentEnvironment(folders), descriptor3: nil)
        }
        return launch(mounts: workerMounts(folders), workingDirectory: "/workspace", uid: uid, tmpBytes: limits.tmpBytes,
                      environment: agentEnvironment(folders), command: [python, "-u", "/opt/mledojo/\(workerScript)"])
    }

    /// What a session's worker sees besides the minimal root, launched or forked.
    func workerMounts(_ folders: SessionFolders) -> [Mount] {
        [
            Mount(source: workerDirectory.path, destination: "/opt/mledojo"),
            Mount(source: folders.publicData.path, destination: "/data"),
            Mount(source: folders.workspace.path, destination: "/workspace", writable: true),
            Mount(source: folders.steps.path, destination: "/code"),
            Mount(source: folders.logs.path, destination: "/logs", writable: true),
        ]
    }

    /// A sandbox of this layout around `command`: the minimal root, `mounts`, and the uid drop when the
    /// server is root (`uid` nil there means a probe's throwaway uid).
    func launch(mounts: [Mount], workingDirectory: String, uid: UInt32?, tmpBytes: Int, environment: [String],
                command: [String]) -> Launch {
        var arguments: [String]
        if setpriv == nil {
            arguments = ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534",
                         "--cap-drop", "ALL"]
        } else {  // real root: no user namespace, so the mounts are made with root's reach
            arguments = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                         "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                         "--cap-add", "CAP_SETPCAP"]
        }
        arguments += ["--die-with-parent", "--new-session", "--as-pid-1"]
        arguments += rootSteps(mounts: mounts, tmpBytes: tmpBytes).flatMap(\.bubblewrapArguments)
        arguments += ["--chdir", workingDirectory, "--clearenv"]
        for variable in environment {
            let parts = variable.split(separator: "=", maxSplits: 1).map(String.init)
            arguments += ["--setenv", parts[0], parts.count > 1 ? parts[1] : ""]
        }
        if seccompFilter != nil { arguments += ["--seccomp", "3"] }
        arguments.append("--")
        if let setpriv {
            let id = uid ?? 64999
            // Changing uid clears the parent-death signal bubblewrap set (--die-with-parent): keep it.
            arguments += [setpriv, "--reuid=\(id)", "--regid=\(id)", "--clear-groups", "--inh-caps=-all",
                          "--bounding-set=-all", "--pdeathsig", "keep", "--"]
        }
        return Launch(executable: bubblewrap, arguments: arguments + command, environment: ["PATH=/usr/bin:/bin"],
                      descriptor3: seccompFilter)
    }

    /// The minimal root around `mounts`, in the order it is built: /usr, /proc, /dev, bounded tmpfs /tmp
    /// and /dev/shm, the few files of /etc the loader needs, the Python environment, then `mounts`; the
    /// root and /dev end read-only.
    func rootSteps(mounts: [Mount], tmpBytes: Int) -> [SandboxRootStep] {
        let venv = pythonEnvironment.path
        var steps: [SandboxRootStep] = [
            .bind(source: "/usr", path: "/usr"),
            .symlink(target: "usr/bin", path: "/bin"), .symlink(target: "usr/lib", path: "/lib"),
            .symlink(target: "usr/lib64", path: "/lib64"),
            .proc("/proc"), .dev("/dev"),
            .tmpfs("/dev/shm", bytes: tmpBytes, perms: "1777"), .tmpfs("/tmp", bytes: tmpBytes, perms: "1777"),
        ]
        // After the tmpfs mounts (a venv under /tmp gets its folders inside the sandbox's /tmp), before the
        // binds (bubblewrap running as root makes the folders it creates for mount points 0700: make them 0755).
        let destinations = [venv, "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"] + mounts.map(\.destination)
        steps += Self.parentFolders(of: destinations).map { .directory($0, perms: "0755") }
        steps += [
            .bind(source: "/etc/ld.so.cache", path: "/etc/ld.so.cache"),
            .bind(source: "/etc/alternatives", path: "/etc/alternatives", optional: true),
            .bind(source: "/etc/localtime", path: "/etc/localtime", optional: true),
            .bind(source: venv, path: venv),
        ]
        steps += mounts.map { .bind(source: $0.source, path: $0.destination, writable: $0.writable) }
        return steps + [.remountReadOnly("/dev"), .remountReadOnly("/")]
    }

    /// Every folder above the given paths (not /), parents first.
    static func parentFolders(of paths: [String]) -> [String] {
        var folders = Set<String>()
        for path in paths {
            var components = path.split(separator: "/").dropLast()
            while !components.isEmpty {
                folders.insert("/" + components.joined(separator: "/"))
                components = components.dropLast()
            }
        }
        return folders.sorted { ($0.count, $0) < ($1.count, $1) }
    }
}
