import Foundation

/// How a session's worker starts.
public enum WorkerStart: String, Sendable, CaseIterable {
    /// Forked from one pre-imported process (python/mledojo_sandbox/forkserver.py): the sessions share
    /// its libraries' pages and a worker is ready in milliseconds. The fork confines itself with the
    /// same root, namespaces, uid drop and seccomp filter as bubblewrap would; the root layout only.
    case forkServer = "fork-server"
    /// Each worker launched through bubblewrap, importing its libraries itself (~1 s, ~105 MiB each).
    case bubblewrap
}

extension Sandbox {
    /// Whether session workers are forked from the fork server: asked for, and the root layout (the fork
    /// builds its sandbox with root's reach, as bubblewrap does there). Otherwise each is launched.
    public var forksWorkers: Bool { mode == .bubblewrap && setpriv != nil && workerStart == .forkServer }

    /// What starts the fork server: its script with the agents' environment (in the sandbox it is the same
    /// for every session) and the seccomp filter on descriptor 3, for its forks to install.
    func forkServerLaunch() -> Launch {
        Launch(executable: python, arguments: ["-u", workerDirectory.appending(path: "forkserver.py").path],
               environment: agentEnvironment(workspace: "/workspace"), descriptor3: seccompFilter)
    }

    /// What the fork server builds for a session's forked worker: the root `workerLaunch` would give
    /// bubblewrap, its working directory, the session's uid, the worker's log and its memory group.
    func forkedWorkerRequest(_ folders: SessionFolders, uid: UInt32?, limits: RunLimits, log: URL,
                             memoryGroup: SessionMemoryGroup?) -> JSONValue {
        [
            "root": .array(rootSteps(mounts: workerMounts(folders), tmpBytes: limits.tmpBytes).map(\.json)),
            "chdir": "/workspace",
            "uid": .number(Double(uid ?? 64999)),
            "log": .string(log.path),
            "cgroup_procs": memoryGroup.map { .string($0.processesFile.path) } ?? .null,
        ]
    }
}
