import Foundation

/// What this host allows for isolating agent code, found by trying each mechanism (`mledojo doctor`,
/// and the server at start-up).
public struct IsolationReport: Sendable {
    /// One probe: what was tried, whether it worked, and what it said.
    public struct Check: Sendable {
        public let name: String
        public let ok: Bool
        public let detail: String
    }

    public private(set) var checks: [Check]
    /// bubblewrap builds the sandbox (mount, PID, IPC, UTS and network namespaces) with the seccomp filter.
    public let sandboxWorks: Bool
    /// The sandbox can drop to a uid of the session's own (a root server: bubblewrap, then setpriv inside).
    public let ownUIDWorks: Bool
    public let setpriv: String?
    /// The compiled seccomp filter (`SandboxSyscallPolicy`), when it could be built and loaded.
    public let seccompFilter: [UInt8]?
    /// The memory cgroup version a server here would use, or why none.
    public var memoryCgroups: Result<MemoryCgroups.Version, CgroupUnavailable> = .failure(CgroupUnavailable("not probed"))

    /// The limits that will hold, and how: those of a running server's `sandbox`, or without one
    /// (`mledojo doctor`) those a server here would get.
    public func enforcement(sandbox: Sandbox? = nil) -> [(String, String)] {
        let separateUIDs = sandbox?.givesSessionsOwnUIDs ?? (ownUIDWorks || getuid() != 0)
        let cgroup = sandbox.map { $0.memoryGroups?.version } ?? (try? memoryCgroups.get())
        let memory = if let cgroup {
            "cgroup \(cgroup.rawValue) per session: the worker's own use + memory_mb for the run (OUT_OF_MEMORY)"
        } else if sandbox?.gpu == true {
            "NOT limited (--gpu forbids RLIMIT_AS and no memory cgroup is available)"
        } else {
            "RLIMIT_AS (address space; no memory cgroup here)"
        }
        return [
            ("network", sandboxWorks ? "none (network namespace)" : "NOT isolated"),
            ("files", sandboxWorks ? "minimal root: /usr, venv, /data read-only, /workspace" : "NOT isolated"),
            ("system calls", seccompFilter != nil
                ? "seccomp: ptrace, other processes' memory, namespaces, mounts, bpf, io_uring, key rings denied"
                : "NOT filtered"),
            ("wall clock", "enforced (the run's processes are killed)"),
            ("cpu time", "RLIMIT_CPU"),
            ("memory", memory),
            ("file size", "RLIMIT_FSIZE"),
            ("processes", separateUIDs ? "RLIMIT_NPROC on the session's own uid" : "NOT enforced (runs share root's uid)"),
            ("workspace disk", "watched during the run (DISK_LIMIT)"),
            ("output", "watched during the run (OUTPUT_LIMIT); head and tail returned, full log kept"),
            ("session workers", sandbox?.forksWorkers == true
                ? "forked from one pre-imported fork server, each confined as bubblewrap would (shared pages, ready in ms)"
                : "each launched through bubblewrap, importing its libraries itself"),
        ]
    }

    /// Tries each sandbox layout with a probe that reports its uid, network interfaces, pid and
    /// whether ptrace is denied.
    public static func probe(bubblewrap: String, python: String) async -> IsolationReport {
        var checks: [Check] = []
        let hasBubblewrap = FileManager.default.isExecutableFile(atPath: bubblewrap)
        checks.append(Check(name: "bubblewrap", ok: hasBubblewrap, detail: hasBubblewrap ? bubblewrap : "not found at \(bubblewrap)"))
        let hasPython = FileManager.default.isExecutableFile(atPath: python)
        checks.append(Check(name: "python environment", ok: hasPython, detail: hasPython ? python : "missing (run make setup)"))
        var filter: [UInt8]?
        do { filter = try SandboxSyscallPolicy.compile() } catch {
            checks.append(Check(name: "seccomp filter", ok: false, detail: "\(error)"))
        }
        guard hasBubblewrap, hasPython, let filter else {
            var report = IsolationReport(checks: checks, sandboxWorks: false, ownUIDWorks: false, setpriv: nil, seccompFilter: nil)
            report.addCgroupCheck()
            return report
        }
        let venv = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent()
        func sandbox(setpriv: String?) -> Sandbox {
            Sandbox(mode: .bubblewrap, bubblewrap: bubblewrap, setpriv: setpriv, pythonEnvironment: venv,
                    workerDirectory: venv, seccompFilter: filter)
        }
        let direct = await tryRun(sandbox(setpriv: nil), python: python)
        let namespacesOK = direct.ok && direct.output.hasPrefix("65534 ['lo'] 1 ")
        checks.append(Check(name: "user, mount and PID namespaces", ok: direct.ok,
                            detail: direct.ok ? "uid 65534 inside, the worker is pid 1" : direct.output))
        checks.append(Check(name: "network namespace", ok: namespacesOK,
                            detail: namespacesOK ? "only the loopback interface" : direct.output))
        var setpriv: String?
        var rootLayout = (ok: false, output: "")
        if getuid() == 0 {
            let candidate = "/usr/bin/setpriv"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                rootLayout = await tryRun(sandbox(setpriv: candidate), python: python)
                rootLayout.ok = rootLayout.ok && rootLayout.output.hasPrefix("64999 ['lo'] 1 ")
                setpriv = rootLayout.ok ? candidate : nil
                checks.append(Check(name: "own uid per session", ok: rootLayout.ok, detail: rootLayout.ok
                    ? "bubblewrap as root, then setpriv to uid 64999 inside: works" : rootLayout.output))
            } else {
                checks.append(Check(name: "own uid per session", ok: false, detail: "setpriv not found"))
            }
        }
        let used = rootLayout.ok ? rootLayout : (namespacesOK ? direct : (ok: false, output: ""))
        let seccompOK = used.ok && used.output.hasSuffix(" ptrace-denied")
        checks.append(Check(name: "seccomp filter", ok: seccompOK, detail: seccompOK
            ? "\(SandboxSyscallPolicy.rules.count) rules: ptrace, namespaces, mounts, bpf, io_uring, key rings... denied"
            : "not enforced: \(used.output)"))
        var report = IsolationReport(checks: checks, sandboxWorks: seccompOK, ownUIDWorks: rootLayout.ok, setpriv: setpriv,
                                     seccompFilter: seccompOK ? filter : nil)
        report.addCgroupCheck()
        return report
    }

    private static func tryRun(_ sandbox: Sandbox, python: String) async -> (ok: Bool, output: String) {
        let code = "import ctypes, os, socket; denied = ctypes.CDLL(None).ptrace(0, 0, None, None) != 0; "
            + "print(os.getuid(), [n for _, n in socket.if_nameindex()], os.getpid(), "
            + "'ptrace-denied' if denied else 'ptrace-allowed')"
        let launch = sandbox.launch(mounts: [], workingDirectory: "/", uid: nil, tmpBytes: 16 << 20,
                                    environment: ["PATH=/usr/bin:/bin"], command: [python, "-c", code])
        let descriptor: Int32
        do { descriptor = try ChildProcess.makeFilledPipe(launch.descriptor3 ?? []) } catch { return (false, "\(error)") }
        defer { close(descriptor) }
        return await tryRun(launch.executable, launch.arguments, passing: [descriptor])
    }

    private static func tryRun(_ executable: String, _ arguments: [String], passing: [Int32]) async -> (ok: Bool, output: String) {
        do {
            let outcome = try await ChildProcess.run(executable: executable, arguments: arguments,
                                                     environment: ["PATH=/usr/bin:/bin"],
                                                     limits: ProcessLimits(wallClockSeconds: 30, outputBytes: 4096),
                                                     passing: passing)
            let output = (outcome.stdout.text + outcome.stderr.text).trimmingCharacters(in: .whitespacesAndNewlines)
            return (outcome.exitCode == 0, output)
        } catch {
            return (false, "\(error)")
        }
    }

    /// Tries to make a memory cgroup of the server's own (created, then removed again).
    private mutating func addCgroupCheck() {
        switch MemoryCgroups.discover(baseName: "mledojo-probe-\(getpid())") {
        case .success(let groups):
            memoryCgroups = .success(groups.version)
            checks.append(Check(name: "cgroups", ok: true, detail: "\(groups.version.rawValue): the server can make a memory "
                                + "group per session under \(groups.base.deletingLastPathComponent().path)"))
            groups.removeBase()
        case .failure(let reason):
            memoryCgroups = .failure(reason)
            checks.append(Check(name: "cgroups", ok: false, detail: "\(reason): memory is limited with RLIMIT_AS"))
        }
    }
}
