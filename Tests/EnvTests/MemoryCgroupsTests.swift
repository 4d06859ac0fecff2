import EnvTesting
import Foundation
import Testing

@testable import Env

/// Discovery and the group files, on fake /proc and /sys/fs/cgroup trees (the real hierarchy is
/// driven end to end by Tests/Integration/test_memory_limits.py).
@Suite("MemoryCgroups")
struct MemoryCgroupsTests {
    func fakeHost(membership: String, folders: [String], files: [String: String] = [:]) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory("cgroups")
        let manager = FileManager.default
        try manager.createDirectory(at: root.url.appending(path: "proc/self"), withIntermediateDirectories: true)
        try membership.write(to: root.url.appending(path: "proc/self/cgroup"), atomically: true, encoding: .utf8)
        for folder in folders {
            try manager.createDirectory(at: root.url.appending(path: "sys/\(folder)"), withIntermediateDirectories: true)
        }
        for (path, content) in files { try content.write(to: root.url.appending(path: "sys/\(path)"), atomically: true, encoding: .utf8) }
        return root
    }

    func discover(_ root: TemporaryDirectory, base: String = "mledojo-42") -> Result<MemoryCgroups, CgroupUnavailable> {
        MemoryCgroups.discover(baseName: base, procRoot: root.url.appending(path: "proc").path,
                               mountRoot: root.url.appending(path: "sys").path)
    }

    @Test func v1FindsTheServersOwnMemoryGroupAndMakesTheBase() throws {
        let root = try fakeHost(membership: "9:pids:/\n4:memory:/jobs/7\n0::/\n", folders: ["memory/jobs/7"])
        defer { root.remove() }
        let groups = try discover(root).get()
        #expect(groups.version == .v1)
        #expect(groups.base.path == root.url.appending(path: "sys/memory/jobs/7/mledojo-42").path)
        #expect(FileManager.default.fileExists(atPath: groups.base.path))
    }

    @Test func v2NeedsTheMemoryControllerDelegated() throws {
        let closed = try fakeHost(membership: "0::/user.slice/app\n", folders: ["user.slice/app"],
                                  files: ["cgroup.controllers": "cpu memory pids", "user.slice/app/cgroup.subtree_control": "cpu"])
        defer { closed.remove() }
        guard case .failure(let reason) = discover(closed) else { Issue.record("a v2 group without memory was used"); return }
        #expect(reason.description.contains("does not delegate the memory controller"))

        let open = try fakeHost(membership: "0::/user.slice/app\n", folders: ["user.slice/app"],
                                files: ["cgroup.controllers": "cpu memory pids", "user.slice/app/cgroup.subtree_control": "cpu memory"])
        defer { open.remove() }
        // The fake base has no cgroup.subtree_control file to enable +memory in, so this stops there.
        guard case .failure(let enable) = discover(open) else { Issue.record("the base cannot enable memory here"); return }
        #expect(enable.description.contains("cannot enable the memory controller"))
        #expect(!FileManager.default.fileExists(atPath: open.url.appending(path: "sys/user.slice/app/mledojo-42").path))
    }

    @Test func noMemoryControllerIsAClearReason() throws {
        let root = try fakeHost(membership: "9:pids:/\n", folders: [])
        defer { root.remove() }
        guard case .failure(let reason) = discover(root) else { Issue.record("no controller, yet usable"); return }
        #expect(reason.description == "no memory controller is mounted")
    }

    @Test func staleGroupsOfDeadServersAreRemoved() throws {
        let dead = "mledojo-4194303"  // above this host's pid_max: never a live process
        let root = try fakeHost(membership: "4:memory:/\n", folders: ["memory/\(dead)/session-a", "memory/mledojo-\(getpid())"])
        defer { root.remove() }
        _ = try discover(root, base: "mledojo-1").get()
        #expect(!FileManager.default.fileExists(atPath: root.url.appending(path: "sys/memory/\(dead)").path))
        #expect(FileManager.default.fileExists(atPath: root.url.appending(path: "sys/memory/mledojo-\(getpid())").path))
    }

    @Test func v1LimitsKeepSwapAtLeastMemoryAndOOMKillsAreCounted() throws {
        let files = ["memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712",
                     "memory.usage_in_bytes": "150000000\n",
                     "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"]
        let root = try fakeHost(membership: "", folders: ["g"], files: files.mapKeys { "g/\($0)" })
        defer { root.remove() }
        let group = SessionMemoryGroup(version: .v1, folder: root.url.appending(path: "sys/g"))
        #expect(group.setLimit(1 << 30))
        #expect(SessionMemoryGroup.readNumber(group.folder.appending(path: "memory.limit_in_bytes")) == 1 << 30)
        #expect(SessionMemoryGroup.readNumber(group.folder.appending(path: "memory.memsw.limit_in_bytes")) == 1 << 30)
        #expect(group.usage == 150_000_000)
        #expect(group.oomKills == 3)
    }

    @Test func v2LimitsAndEvents() throws {
        let files = ["memory.max": "max", "memory.swap.max": "max", "memory.current": "42", "memory.events": "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n"]
        let root = try fakeHost(membership: "", folders: ["g"], files: files.mapKeys { "g/\($0)" })
        defer { root.remove() }
        let group = SessionMemoryGroup(version: .v2, folder: root.url.appending(path: "sys/g"))
        #expect(group.setLimit(512 << 20))
        #expect(try String(contentsOf: group.folder.appending(path: "memory.max"), encoding: .utf8) == "\(512 << 20)")
        #expect(try String(contentsOf: group.folder.appending(path: "memory.swap.max"), encoding: .utf8) == "0")
        #expect(group.usage == 42 && group.oomKills == 1)
    }

    @Test func aLaunchJoinsTheGroupBeforeTheSandboxStarts() {
        let group = SessionMemoryGroup(version: .v1, folder: URL(fileURLWithPath: "/sys/fs/cgroup/memory/x/session-s"))
        let launch = Sandbox.Launch(executable: "/usr/bin/bwrap", arguments: ["--as-pid-1"], environment: ["PATH=/usr/bin"],
                                    descriptor3: [1]).joining(group)
        #expect(launch.executable == "/bin/sh")
        #expect(launch.arguments == ["-c", "echo $$ > \"$0\" && exec \"$@\"", "/sys/fs/cgroup/memory/x/session-s/cgroup.procs",
                                     "/usr/bin/bwrap", "--as-pid-1"])
        #expect(launch.descriptor3 == [1] && launch.environment == ["PATH=/usr/bin"])
    }
}

extension Dictionary where Key == String {
    fileprivate func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
