import Foundation

/// Memory limits through cgroups, where this host lets the server make child groups of its own:
/// one group per session holds its whole sandbox, so a run that allocates past its budget is killed
/// by the kernel's OOM killer (OUT_OF_MEMORY) however it allocates — no address-space rlimit, which
/// breaks CUDA's large reservations and over-counts numpy's virtual memory.
///
/// cgroup v1: a memory hierarchy the server can write (mkdir under its own group). cgroup v2: the
/// server's group must already delegate the memory controller (`memory` in its cgroup.subtree_control).
/// The groups live under `<server's group>/mledojo-<tag>-<pid>` (a tag per server, as one process may
/// run several); groups of dead processes are removed at start (`mledojo-probe-<pid>` is the
/// throwaway group of `mledojo doctor`'s check).
public struct MemoryCgroups: Sendable {
    public enum Version: String, Sendable { case v1, v2 }

    public let version: Version
    /// `<server's group>/mledojo-<tag>-<pid>`: the parent of the sessions' groups.
    public let base: URL

    /// Finds a usable memory controller and creates the server's base group, or says why none is usable.
    public static func discover(baseName: String = "mledojo-\(UInt32.random(in: 0...UInt32.max))-\(getpid())",
                                procRoot: String = "/proc",
                                mountRoot: String = "/sys/fs/cgroup") -> Result<MemoryCgroups, CgroupUnavailable> {
        guard let membership = try? String(contentsOfFile: "\(procRoot)/self/cgroup", encoding: .utf8) else {
            return .failure(CgroupUnavailable("no /proc/self/cgroup"))
        }
        let lines = membership.split(separator: "\n").map {
            $0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        }
        let parent: URL
        let version: Version
        if let v1 = lines.first(where: { $0.count == 3 && $0[1].split(separator: ",").contains("memory") }),
           FileManager.default.fileExists(atPath: "\(mountRoot)/memory") {
            parent = URL(fileURLWithPath: "\(mountRoot)/memory\(v1[2])")
            version = .v1
        } else if let v2 = lines.first(where: { $0.count == 3 && $0[0] == "0" && $0[1].isEmpty }),
                  FileManager.default.fileExists(atPath: "\(mountRoot)/cgroup.controllers") {
            parent = URL(fileURLWithPath: "\(mountRoot)\(v2[2])")
            let delegated = (try? String(contentsOf: parent.appending(path: "cgroup.subtree_control"), encoding: .utf8))?
                .split(whereSeparator: \.isWhitespace).contains("memory") ?? false
            guard delegated else {
                return .failure(CgroupUnavailable("cgroup v2, but \(parent.path) does not delegate the memory controller"))
            }
            version = .v2
        } else {
            return .failure(CgroupUnavailable("no memory controller is mounted"))
        }
        removeStaleGroups(in: parent)
        let base = parent.appending(path: baseName)
        guard mkdir(base.path, 0o755) == 0 || errno == EEXIST else {
            return .failure(CgroupUnavailable("\(version.rawValue): cannot create a group in \(parent.path): \(String(cString: strerror(errno)))"))
        }
        if version == .v2, !SessionMemoryGroup.write("+memory", to: base.appending(path: "cgroup.subtree_control")) {
            rmdir(base.path)
            return .failure(CgroupUnavailable("cgroup v2: cannot enable the memory controller in \(base.path)"))
        }
        return .success(MemoryCgroups(version: version, base: base))
    }

    /// A new group for one session's sandbox, limited to `bytes` until its worker reports ready.
    public func makeSessionGroup(_ session: String, bytes: Int) throws -> SessionMemoryGroup {
        let folder = base.appending(path: "session-\(session)")
        guard mkdir(folder.path, 0o755) == 0 || errno == EEXIST else {
            throw EnvError(.internal, "cannot create the memory group \(folder.path): \(String(cString: strerror(errno)))")
        }
        let group = SessionMemoryGroup(version: version, folder: folder)
        guard group.setLimit(bytes) else {
            group.remove()
            throw EnvError(.internal, "cannot set the memory limit of \(folder.path)")
        }
        return group
    }

    /// Removes the base group (at shutdown, once the sessions' groups are gone).
    public func removeBase() {
        for session in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where session.hasPrefix("session-") {
            SessionMemoryGroup(version: version, folder: base.appending(path: session)).remove()
        }
        rmdir(base.path)
    }

    /// Groups `mledojo-...-<pid>` whose server is gone (killed with -9): their sessions' groups, then themselves.
    static func removeStaleGroups(in parent: URL) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix("mledojo-") {
            guard let pid = name.split(separator: "-").last.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            let folder = parent.appending(path: name)
            for session in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where session.hasPrefix("session-") {
                rmdir(folder.appending(path: session).path)
            }
            rmdir(folder.path)
        }
    }
}

/// Why memory cgroups cannot be used on this host.
public struct CgroupUnavailable: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
