import Foundation
import Wire

extension BenchCommand {
    /// What a session costs the server: the wall time from `reset` to the first execute_code("print(1)")
    /// reply of a fresh session (what an RL loop waits at every episode start), and the proportional set
    /// size its sandbox adds to the server's process tree while idle (what bounds sessions per machine).
    func sessionRows(_ client: BlockingClient, serverPID: pid_t) throws -> [BenchRow] {
        // Episodes one after another, each held 1.5 s (a short episode; RL episodes run longer): the
        // server's spare session of the task (`serve --spare-sessions`) is warm by the next reset. The
        // bench task was reset above, so its spare exists; a task reset for the first time waits ~1 s.
        var starts: [Double] = []
        for _ in 0..<max(5, rounds / 2) {
            Thread.sleep(forTimeInterval: 1.5)
            let started = ContinuousClock.now
            let session = try client.call(.reset, params: ["task": .string(task)])["session"]?.stringValue ?? ""
            try Self.expectSuccess(client.call(.executeCode, session: session, params: ["code": "print(1)"]))
            starts.append(Self.milliseconds(since: started))
            _ = try? client.call(.close, session: session)
        }
        let coldTask = ["credit-default", "ames-house-prices", "food-review-sentiment"].first { $0 != task && $0 != bigTask } ?? ""
        var cold: Double?
        let coldStart = ContinuousClock.now
        if let reset = try? client.call(.reset, params: ["task": .string(coldTask)]), let session = reset["session"]?.stringValue {
            let started = coldStart
            if (try? Self.expectSuccess(client.call(.executeCode, session: session, params: ["code": "print(1)"]))) != nil {
                cold = Self.milliseconds(since: started)
            }
            _ = try? client.call(.close, session: session)
        }
        let idle = 8
        let before = Self.treePSS(root: serverPID)
        var sessions: [String] = []
        for _ in 0..<idle {
            let session = try client.call(.reset, params: ["task": .string(task)])["session"]?.stringValue ?? ""
            try Self.expectSuccess(client.call(.executeCode, session: session, params: ["code": "print(1)"]))  // its worker is up
            sessions.append(session)
        }
        Thread.sleep(forTimeInterval: 1)  // forked-ahead children settle
        let after = Self.treePSS(root: serverPID)
        // With the fork server (serve --worker-start fork-server), the sessions' workers share its pages: the
        // marginal cost is what each adds; the whole tree under it, divided by the sessions in it, also
        // charges them the fork server itself.
        let forkServer = Self.processes(parent: serverPID).first { Self.commandLine($0).contains("forkserver.py") }
        let shared = forkServer.map { (pss: Self.treePSS(root: $0), sessions: Self.processes(parent: $0).count) }
        for session in sessions { _ = try? client.call(.close, session: session) }
        let perSession = Double(after - before) / Double(idle) / 1024
        let (median, p99) = BenchRow.summary(starts)
        var rows = [BenchRow("reset → first execute_code reply (a reset every 1.5 s)", note: "\(BenchRow.format(median)) (p99 \(BenchRow.format(p99)))"),
                    BenchRow("first execute_code after a task's first reset (no spare yet)", note: cold.map(BenchRow.format) ?? "skipped: no \(coldTask)"),
                    BenchRow("PSS per idle session, what each adds (\(idle) sessions, MiB)", note: String(format: "%.1f", perSession))]
        if let shared, shared.sessions > 0 {
            rows.append(BenchRow("PSS per idle session, fork server's share included (\(shared.sessions) workers, MiB)",
                                 note: String(format: "%.1f", Double(shared.pss) / Double(shared.sessions) / 1024)))
        } else {
            rows.append(BenchRow("PSS per idle session, fork server's share included", note: "no fork server (workers launched)"))
        }
        return rows
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    /// Every process's parent, from /proc/<pid>/stat.
    static func parents() -> [pid_t: [pid_t]] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(pid) }
        }
        return children
    }

    static func processes(parent: pid_t) -> [pid_t] { parents()[parent] ?? [] }

    static func commandLine(_ pid: pid_t) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(of: "\0", with: " ")
    }

    /// The PSS, in KiB, of `root` and every process below it (`/proc/<pid>/smaps_rollup`; 0 for a
    /// process that is gone or unreadable).
    static func treePSS(root: pid_t) -> Int {
        let children = parents()
        var total = 0
        var queue = [root]
        while let pid = queue.popLast() {
            queue += children[pid] ?? []
            guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
                  let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }),
                  let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { continue }
            total += kib
        }
        return total
    }
}
