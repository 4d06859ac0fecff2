import ArgumentParser
import Foundation
import Generator
import ReActAgent
import Synchronization
import Wire
import ZeroMQ

/// A task of the bench's folder and the twin derived from it (nil when derive refused it).
struct TwinPair: Sendable {
    let parent: String
    let twin: String?
    /// "micro", or "small" where no micro twin keeps the parent's ranking.
    let kind: String
    /// Why there is no twin (derive's own words), or "".
    let refusal: String
    let parentTrainRows: Int
    let twinTrainRows: Int?
    let parentTestRows: Int
    let twinTestRows: Int?
}

extension BenchCommand {
    /// Copies the tasks folder to `folder/tasks` and derives there a micro twin of each task in it that is
    /// not itself derived (or of `--twins`), all side by side, one `python -m mledojo.derive --micro` per
    /// parent; where no micro twin keeps the parent's ranking (and --twin-train-rows pins no size), a small
    /// twin (`--small`). This is the twin `mledojo tasks derive` writes before its verification; the
    /// verification (execution validation by the baseline agent, minutes per twin) is left out since it
    /// does not change the twin's data. Returns the copied folder, the pairs and derive's wall seconds.
    func stageTwins(from tasksRoot: URL, into folder: URL, python: URL) throws -> (tasks: URL, pairs: [TwinPair], seconds: Double) {
        let staged = folder.appending(path: "tasks")
        try FileManager.default.copyItem(at: tasksRoot, to: staged)
        let parents = try twinParents(in: staged)
        let module = PythonModule(python: python, runtime: ProjectPaths.resolve("python"))
        let sizes = (twinTrainRows.map { ["--train-rows", String($0)] } ?? []) + (twinTestRows.map { ["--test-rows", String($0)] } ?? [])
        let started = ContinuousClock.now
        let reports = try Self.blocking { () async throws -> [String: JSONValue] in
            try await withThrowingTaskGroup(of: (String, JSONValue).self) { group in
                for parent in parents {
                    group.addTask {
                        func derive(_ kind: String) async throws -> JSONValue {
                            let (outcome, json) = try await module.runJSON(
                                "derive", ["--\(kind)", "--json", "--force", "--out", staged.path] + sizes + [staged.appending(path: parent).path],
                                timeoutSeconds: 900)
                            return json?["twins"]?.arrayValue?.first
                                ?? ["ok": false, "errors": [.string("mledojo.derive gave no report: \(outcome.stderrTail)")]]
                        }
                        let micro = try await derive("micro")
                        let rankingLost = micro["errors"]?.arrayValue?.contains { $0.stringValue?.contains("keeps the parent's ranking") == true }
                        guard micro["ok"]?.boolValue != true, rankingLost == true, twinTrainRows == nil else { return (parent, micro) }
                        let small = try await derive("small")
                        guard small["ok"]?.boolValue == true else { return (parent, micro) }
                        return (parent, small)
                    }
                }
                var reports: [String: JSONValue] = [:]
                for try await (parent, report) in group { reports[parent] = report }
                return reports
            }
        }
        let seconds = Self.milliseconds(since: started) / 1000
        let pairs = parents.map { parent -> TwinPair in
            let report = reports[parent] ?? [:]
            let rows = Self.csvRows(staged.appending(path: "\(parent)/data/public/train.csv"))
            let testRows = Self.csvRows(staged.appending(path: "\(parent)/data/public/test.csv"))
            guard report["ok"]?.boolValue == true, let id = report["id"]?.stringValue else {
                let errors = report["errors"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? "no report"
                return TwinPair(parent: parent, twin: nil, kind: "micro", refusal: Self.shortRefusal(errors), parentTrainRows: rows, twinTrainRows: nil,
                                parentTestRows: testRows, twinTestRows: nil)
            }
            return TwinPair(parent: parent, twin: id, kind: report["kind"]?.stringValue ?? "micro", refusal: "", parentTrainRows: rows, twinTrainRows: report["train_rows"]?.integerValue,
                            parentTestRows: testRows, twinTestRows: report["test_rows"]?.integerValue)
        }
        return (staged, pairs, seconds)
    }

    /// Derive's refusal in a table cell: for a twin that does not keep the ranking, its τ per size tried.
    static func shortRefusal(_ message: String) -> String {
        // "...by itself): 50 rows: tau 0.400/0.400/0.400 (mean 0.400); 100 rows: ...; tied on the parent: ..."
        if message.contains("keeps the parent's ranking"), let table = message.range(of: "by itself): ") {
            let sizes = message[table.upperBound...].split(separator: ";").compactMap { part -> String? in
                let words = part.split(separator: " ")
                guard words.count > 1, words[1] == "rows:", let mean = part.range(of: "(mean ") else { return nil }
                return "\(words[0]) rows τ \(part[mean.upperBound...].prefix { $0 != ")" })"
            }
            return "derive refused: ranking not kept (mean Kendall τ, ≥ 0.8 keeps: \(sizes.joined(separator: ", ")))"
        }
        return String(message.prefix(100))
    }

    /// `--twins`, or every task folder of `staged` with a task.json that is not itself a derived twin.
    private func twinParents(in staged: URL) throws -> [String] {
        if !twins.isEmpty { return twins }
        return try FileManager.default.contentsOfDirectory(atPath: staged.path).sorted().filter { name in
            guard let data = FileManager.default.contents(atPath: staged.appending(path: "\(name)/task.json").path),
                  let manifest = try? JSONValue.decode(data) else { return false }
            return manifest["derived_from"] == nil  // every twin (micro or small) records its parent
        }
    }

    /// The baseline agent's two scripts (linear, boosting) for `task`, configured from what request_info
    /// tells, as its policy configures them.
    func baselineScripts(_ client: BlockingClient, task: String, scripts: SolutionScripts) throws -> (linear: String, boosting: String) {
        let session = try client.call(.reset, params: ["task": .string(task), "budget": ["max_steps": 1_000_000]])["session"]!.stringValue!
        defer { _ = try? client.call(.close, session: session) }
        var profile = TaskProfile()
        for info in ["sample_submission", "metric", "metadata"] {
            let observation = try client.call(.requestInfo, session: session, params: ["info_type": .string(info)])
            if let content = ObservationView(observation).infoContent { profile.absorb(infoType: info, content: content) }
        }
        return (try scripts.solution(.linear, profile: profile), try scripts.solution(.boosting, profile: profile))
    }

    /// Rounds of each task's code runs on the full task and on its twin (the full ones take seconds).
    var twinRounds: Int { max(3, rounds / 6) }

    /// Per task: the median wall time of the baseline agent's code runs (its linear and its boosting
    /// solution, one execute_code each) on the parent and on its twin, and the speed-up.
    func twinExecutionRows(_ client: BlockingClient, pairs: [TwinPair], scripts: SolutionScripts) throws -> [[String]] {
        var rows: [[String]] = []
        for pair in pairs {
            guard let twin = pair.twin else {
                rows.append(["\(pair.parent): baseline linear + boosting (ms; \(pair.parentTrainRows) train rows, \(pair.parentTestRows) test rows)", "", "no twin", pair.refusal])
                continue
            }
            let code = try baselineScripts(client, task: pair.parent, scripts: scripts)
            var medians: [Double] = []
            for task in [pair.parent, twin] {
                let session = try client.call(.reset, params: ["task": .string(task), "budget": ["max_steps": 1_000_000]])["session"]!.stringValue!
                defer { _ = try? client.call(.close, session: session) }
                try Self.expectSuccess(client.call(.executeCode, session: session, params: ["code": "print(1)"]))  // its worker is warm
                let samples = try timed(twinRounds) {
                    for script in [code.linear, code.boosting] {
                        try Self.expectSubmission(client.call(.executeCode, session: session, params: ["code": .string(script)]), task: task)
                    }
                }
                medians.append(BenchRow.summary(samples).median)
            }
            let which = pair.kind == "micro" ? "" : " [\(pair.kind) twin: no micro twin keeps the ranking]"
            rows.append(["\(pair.parent)\(which): baseline linear + boosting (ms; train rows \(pair.parentTrainRows) → \(pair.twinTrainRows ?? 0), test rows \(pair.parentTestRows) → \(pair.twinTestRows ?? 0))",
                         BenchRow.format(medians[0]), BenchRow.format(medians[1]), String(format: "%.1fx faster", medians[0] / medians[1])])
        }
        return rows
    }

    /// Episodes per minute of the fixed 5-step episode on the parent and on its twin, with each number of clients.
    func rolloutRows(context: ZMQContext, endpoint: String, pair: TwinPair, code: String) throws -> [[String]] {
        guard let twin = pair.twin else { return [["rollouts on \(pair.parent)", "", "no twin", pair.refusal]] }
        return try rolloutClients.map { clients in
            let full = try episodesPerMinute(context: context, endpoint: endpoint, task: pair.parent, code: code, clients: clients)
            let small = try episodesPerMinute(context: context, endpoint: endpoint, task: twin, code: code, clients: clients)
            return ["episodes/min, \(clients) client\(clients == 1 ? "" : "s") (\(pair.parent))",
                    String(format: "%.1f", full), String(format: "%.1f", small), String(format: "%.1fx", small / full)]
        }
    }

    /// `clients` threads, each with its own socket, play episodes back to back until `--rollout-seconds`
    /// have passed (an episode started by then is finished; every client plays at least one): reset;
    /// request_info overview; execute_code of `code`; evaluate submission.csv; close. Episodes per minute
    /// of wall time, from the start until the last client is done.
    func episodesPerMinute(context: ZMQContext, endpoint: String, task: String, code: String, clients: Int) throws -> Double {
        let perSecond = try Self.closedLoopRate(clients: clients, seconds: rolloutSeconds, prepare: {
            let client = try BlockingClient(context: context, endpoint: endpoint, timeoutMilliseconds: 900_000)
            _ = try client.call(.health)  // connected
            return client
        }, operation: { client in
            do { try Self.episode(client, task: task, code: code) } catch { throw BenchError("\(task), \(clients) clients: \(error)") }
        }, finish: { $0.close() })
        return perSecond * 60
    }

    /// The fixed 5-step episode.
    private static func episode(_ client: BlockingClient, task: String, code: String) throws {
        let session = try client.call(.reset, params: ["task": .string(task)])["session"]!.stringValue!
        _ = try client.call(.requestInfo, session: session, params: ["info_type": "overview"])
        try Self.expectSubmission(client.call(.executeCode, session: session, params: ["code": .string(code)]), task: task)
        let graded = try client.call(.evaluate, session: session, params: ["path": "submission.csv"])
        guard ObservationView(graded).submission?["status"]?.stringValue == "SUCCESS" else {
            throw BenchError("evaluate on \(task) failed: \(graded.encodedString().prefix(300))")
        }
        _ = try client.call(.close, session: session)
    }

    /// The run succeeded and left a valid submission.csv.
    static func expectSubmission(_ observation: JSONValue, task: String) throws {
        try Self.expectSuccess(observation)
        guard ObservationView(observation).submission?["status"]?.stringValue == "SUCCESS" else {
            throw BenchError("the solution on \(task) wrote no valid submission: \(ObservationView(observation).submission?.encodedString().prefix(300) ?? "")")
        }
    }

    /// Data rows of a CSV file (newlines inside quoted fields are not row ends); 0 when unreadable.
    static func csvRows(_ url: URL) -> Int {
        guard let data = try? Data(contentsOf: url) else { return 0 }
        var rows = 0, quoted = false, last: UInt8 = 10
        for byte in data {
            if byte == 34 { quoted.toggle() } else if byte == 10 && !quoted { rows += 1 }
            last = byte
        }
        return max(0, rows + (last == 10 ? 0 : 1) - 1)
    }

    /// Runs `body` on the concurrency pool and waits for it on this thread.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        _Concurrency.Task {
            do {
                let value = try await body()
                outcome.withLock { $0 = .success(value) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0 }!.get()
    }
}

/// The baseline agent's solution a rollout episode runs.
enum RolloutSolution: String, ExpressibleByArgument, CaseIterable {
    case linear, boosting
}
