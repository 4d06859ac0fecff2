import Foundation

/// One session's memory cgroup: its sandbox's processes join it at start (`cgroup.procs`), the limit
/// is the worker's own memory plus the run budget, and the OOM-kill counter tells OUT_OF_MEMORY apart
/// from other SIGKILLs.
public struct SessionMemoryGroup: Sendable {
    public let version: MemoryCgroups.Version
    public let folder: URL

    /// The file a process writes its pid to, to join the group.
    public var processesFile: URL { folder.appending(path: "cgroup.procs") }

    /// Sets the memory limit (swap included where the kernel accounts it).
    @discardableResult
    public func setLimit(_ bytes: Int) -> Bool {
        switch version {
        case .v1:
            // memsw must stay >= the memory limit: raise in the order that keeps it so.
            let memory = folder.appending(path: "memory.limit_in_bytes")
            let swap = folder.appending(path: "memory.memsw.limit_in_bytes")
            let hasSwap = FileManager.default.fileExists(atPath: swap.path)
            if hasSwap && bytes > (Self.readNumber(memory) ?? 0) {
                return Self.write(String(bytes), to: swap) && Self.write(String(bytes), to: memory)
            }
            return Self.write(String(bytes), to: memory) && (!hasSwap || Self.write(String(bytes), to: swap))
        case .v2:
            let swap = folder.appending(path: "memory.swap.max")
            if FileManager.default.fileExists(atPath: swap.path) { _ = Self.write("0", to: swap) }
            return Self.write(String(bytes), to: folder.appending(path: "memory.max"))
        }
    }

    /// Bytes the group's processes use now.
    public var usage: Int? {
        Self.readNumber(folder.appending(path: version == .v1 ? "memory.usage_in_bytes" : "memory.current"))
    }

    /// How many processes the OOM killer has killed in this group so far.
    public var oomKills: Int {
        let file = folder.appending(path: version == .v1 ? "memory.oom_control" : "memory.events")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == "oom_kill" { return Int(fields[1]) ?? 0 }
        }
        return 0
    }

    /// Kills what is left in the group and removes it (retrying while the kernel tears processes down).
    public func remove() {
        for _ in 0..<100 {
            if rmdir(folder.path) == 0 || errno == ENOENT { return }
            killMembers()
            usleep(20_000)
        }
    }

    /// SIGKILL to every process in the group.
    public func killMembers() {
        let members = (try? String(contentsOf: processesFile, encoding: .utf8)) ?? ""
        for pid in members.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }

    static func readNumber(_ file: URL) -> Int? {
        (try? String(contentsOf: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func write(_ text: String, to file: URL) -> Bool {
        let descriptor = open(file.path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }
}
