import ArgumentParser
import Env
import Foundation
import ReActAgent
import Synchronization
import ZeroMQ

/// `mledojo bench`: the server's costs, each beside the same work done by a fresh interpreter.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Start a server and print medians and p99 of its hot paths beside a fresh `python -c` doing the same.",
        discussion: """
            Measured side by side in one run (milliseconds; ratio = fresh interpreter / server): request_info round \
            trip; execute_code("print(1)"); a real scikit-learn solution; evaluate of a 10k-row submission; \
            requests per second with 1 and 16 clients; then what a session costs: reset to the first \
            execute_code reply of a fresh session, and the PSS the server's process tree adds per idle session. \
            The fresh side is what a per-action interpreter costs \
            (MLE-Dojo starts one for every action): the venv's own python with the same imports and work. Use a \
            release build (make bench).

            Micro twins (second table; --skip-twins leaves it out): the bench copies --tasks into its temporary \
            folder and derives there a micro twin of every task (`python -m mledojo.derive --micro`, the twin \
            `mledojo tasks derive --micro` writes before its verification), then serves the copy. Per task: the \
            median wall time of the baseline agent's two code runs (its linear and its gradient-boosting solution, \
            one execute_code each) on the full task and on its twin, and the speed-up; a task derive refuses is \
            listed as "no twin" with derive's reason, unless a small twin (`--small`: 250 to 5000 training rows, fewer than \
            the parent's) keeps the ranking where no micro twin does; that row says so. Rollouts: episodes per minute of a fixed 5-step episode — \
            reset; request_info overview; execute_code of the baseline agent's linear scikit-learn solution (--rollout-solution), which \
            writes submission.csv; evaluate submission.csv; close — on --rollout-task and on its twin, with 1, 16 and 64 \
            clients (each a thread with its own socket, playing episodes back to back until --rollout-seconds have \
            passed, every started episode finished), and the ratio twin / full. The server keeps its default \
            settings but a run queue (--max-queued-runs) long enough that 64 clients never get BUSY.
            """)

    @Option(help: "Folder of task folders.") var tasks = "tasks"
    @Option(help: "Python virtual environment.") var venv = ".venv"
    @Option(help: "Task for the code runs.") var task = "penguins-species"
    @Option(help: "Task with a test set of 10k+ rows for the evaluate measure.") var bigTask = "diamonds-price"
    @Option(help: "Rounds of each code run (request_info runs 50 times as many).") var rounds = 20
    @Option(help: "Seconds each throughput measure runs.") var seconds = 3.0
    @Flag(help: "Leave out the micro twins: no derive, no per-task and rollout rows.") var skipTwins = false
    @Option(name: .customLong("twin"), help: "A task to derive a twin of (repeatable; default: every task of --tasks that is not a twin).")
    var twins: [String] = []
    @Option(help: "Training rows of each micro twin, 50 to 200 (default: derive's search, the smallest that keeps the ranking; a pinned size derives no small twins).")
    var twinTrainRows: Int?
    @Option(help: "Test rows of each twin, 20 to 2000 (default: derive's, the parent's whole test capped at 2000). Every code run predicts the whole test, so fewer rows make each run faster and grading noisier.")
    var twinTestRows: Int?
    @Option(help: "Task (with a twin) whose episodes the rollout rows play.") var rolloutTask = "ames-house-prices"
    @Option(help: "Seconds each rollout measure plays new episodes for.") var rolloutSeconds = 15.0
    @Option(help: "The baseline agent's solution the rollout episodes run: linear or boosting.")
    var rolloutSolution: RolloutSolution = .linear
    @Option(parsing: .upToNextOption, help: "Concurrent clients of the rollout rows.") var rolloutClients = [1, 16, 64]

    func validate() throws {
        let kinds = try TwinKinds.load(runtime: ProjectPaths.resolve("python"))
        let micro = try kinds.kind("micro").trainRows
        if let twinTrainRows, !micro.contains(twinTrainRows) {
            throw ValidationError("--twin-train-rows must be \(micro.lowerBound) to \(micro.upperBound)")
        }
        if let twinTestRows, !kinds.testRows.contains(twinTestRows) {
            throw ValidationError("--twin-test-rows must be \(kinds.testRows.lowerBound) to \(kinds.testRows.upperBound)")
        }
        guard rolloutSeconds > 0, !rolloutClients.isEmpty, rolloutClients.allSatisfy({ (1...1024).contains($0) }) else {
            throw ValidationError("--rollout-seconds must be positive and --rollout-clients 1 to 1024 each")
        }
    }

    func run() throws {
        let python = ProjectPaths.resolve(venv).appending(path: "bin/python").path
        let folder = FileManager.default.temporaryDirectory.appending(path: "mledojo-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var tasksRoot = ProjectPaths.resolve(tasks)
        var twinPairs: [TwinPair] = []
        var deriveSeconds = 0.0
        if !skipTwins {
            (tasksRoot, twinPairs, deriveSeconds) = try stageTwins(from: tasksRoot, into: folder, python: URL(fileURLWithPath: python))
        }
        let endpoint = "ipc://\(folder.path)/bench.sock"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        // The default settings, but a run queue that holds every rollout client's run (past it: BUSY).
        server.arguments = ["serve", "--tasks", tasksRoot.path, "--bind", endpoint, "--db", folder.appending(path: "bench.sqlite").path,
                            "--runs", folder.appending(path: "runs").path, "--venv", venv,
                            "--max-queued-runs", String(max(256, 4 * (rolloutClients.max() ?? 0)))]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }

        let context = ZMQContext()
        let client = try BlockingClient(context: context, endpoint: endpoint)
        try waitForHealth(client, server: server)
        let session = try client.call(.reset, params: ["task": .string(task), "budget": ["max_steps": 1_000_000]])["session"]!.stringValue!
        _ = try client.call(.executeCode, session: session, params: ["code": "print(1)"])  // the worker is warm now

        var rows: [BenchRow] = []
        let description = tasksRoot.appending(path: "\(task)/description.txt").path
        rows.append(BenchRow("request_info round trip",
                        server: try timed(rounds * 50) { _ = try client.call(.requestInfo, session: session, params: ["info_type": "overview"]) },
                        fresh: try timed(rounds) { try fresh(python, "print(open('\(description)').read())") }))
        // The worker has pandas and scikit-learn imported: a fresh interpreter does the same work with the same imports.
        rows.append(BenchRow("execute_code(\"print(1)\")",
                        server: try timed(rounds) { try Self.expectSuccess(client.call(.executeCode, session: session, params: ["code": "print(1)"])) },
                        fresh: try timed(rounds) { try fresh(python, "import pandas, sklearn.ensemble; print(1)") }))
        let solution = Self.solution(dataPath: "/data")
        let freshSolution = Self.solution(dataPath: tasksRoot.appending(path: "\(task)/data/public").path)
            .replacingOccurrences(of: "to_csv('submission.csv'", with: "to_csv('\(folder.path)/fresh-submission.csv'")
        rows.append(BenchRow("execute_code(scikit-learn solution)",
                        server: try timed(max(3, rounds / 2)) { try Self.expectSuccess(client.call(.executeCode, session: session, params: ["code": .string(solution)])) },
                        fresh: try timed(max(3, rounds / 2)) { try fresh(python, freshSolution) }))
        rows.append(try evaluateBenchRow(client, tasksRoot: tasksRoot, python: python))
        for clients in [1, 16] {
            let rate = try throughput(context: context, endpoint: endpoint, clients: clients)
            rows.append(BenchRow("requests/s, \(clients) client\(clients == 1 ? "" : "s") (request_info)", rate: rate))
        }
        _ = try? client.call(.close, session: session)
        rows += try sessionRows(client, serverPID: server.processIdentifier)
        var twinRows: [[String]] = []
        if !skipTwins {
            let scripts = try SolutionScripts(resources: try AgentResources.locate())
            twinRows = try twinExecutionRows(client, pairs: twinPairs, scripts: scripts)
            if let pair = twinPairs.first(where: { $0.parent == rolloutTask }) {
                let code = try baselineScripts(client, task: rolloutTask, scripts: scripts)
                twinRows += try rolloutRows(context: context, endpoint: endpoint, pair: pair,
                                            code: rolloutSolution == .boosting ? code.boosting : code.linear)
            } else {
                twinRows.append(["rollouts", "", "skipped", "no task \(rolloutTask)"])
            }
        }
        client.close()
        print("mledojo bench (\(rounds) rounds per code run; ms; ratio = fresh interpreter / server)")
        print(TextTable.render(header: ["measure", "median", "p99", "fresh median", "ratio"], rows: rows.map(\.cells)))
        if !skipTwins {
            print("\ntwins (micro; small where no micro twin keeps the ranking; derived in \(String(format: "%.0f", deriveSeconds)) s; code runs: median of \(twinRounds) rounds; "
                  + "episode: reset, request_info, execute_code(\(rolloutSolution.rawValue)), evaluate, close, for \(String(format: "%.0f", rolloutSeconds)) s)")
            print(TextTable.render(header: ["measure", "full task", "twin", "ratio"], rows: twinRows))
        }
    }

    private func evaluateBenchRow(_ client: BlockingClient, tasksRoot: URL, python: String) throws -> BenchRow {
        let answers = tasksRoot.appending(path: "\(bigTask)/data/private/test_answer.csv")
        let sample = tasksRoot.appending(path: "\(bigTask)/data/public/sample_submission.csv")
        guard let csv = try? String(contentsOf: sample, encoding: .utf8) else {
            return BenchRow("evaluate(10k-row submission)", note: "skipped: task \(bigTask) is not prepared")
        }
        let rows = csv.split(separator: "\n").count - 1
        let session = try client.call(.reset, params: ["task": .string(bigTask), "score_split": "full",
                                                        "budget": ["max_steps": 1_000_000]])["session"]!.stringValue!
        let grade = """
            import pandas as pd, numpy as np
            a = pd.read_csv('\(answers.path)'); s = pd.read_csv('\(sample.path)')
            m = a.merge(s, on=a.columns[0]); c = a.columns[1]
            print(float(np.sqrt(np.mean((np.log(m[c + '_x']) - np.log(m[c + '_y'])) ** 2))))
            """
        let row = BenchRow("evaluate(\(rows)-row submission)",
                      server: try timed(rounds) { try Self.expectSuccess(client.call(.evaluate, session: session, params: ["submission": .string(csv)])) },
                      fresh: try timed(max(3, rounds / 2)) { try fresh(python, grade) })
        _ = try? client.call(.close, session: session)
        return row
    }

    /// request_info per second: each client drives a session of its own (a session answers one action
    /// at a time), its worker warmed first.
    private func throughput(context: ZMQContext, endpoint: String, clients: Int) throws -> Double {
        let task = task
        return try Self.closedLoopRate(clients: clients, seconds: seconds, prepare: { () throws -> (client: BlockingClient, session: String) in
            let client = try BlockingClient(context: context, endpoint: endpoint, timeoutMilliseconds: 30_000)
            let session = try client.call(.reset, params: ["task": .string(task), "budget": ["max_steps": 1_000_000]])["session"]!.stringValue!
            _ = try client.call(.executeCode, session: session, params: ["code": "pass"])
            return (client, session)
        }, operation: { state in
            _ = try state.client.call(.requestInfo, session: state.session, params: ["info_type": "name"])
        }, finish: { state in
            _ = try? state.client.call(.close, session: state.session)
            state.client.close()
        })
    }

    private func waitForHealth(_ client: BlockingClient, server: Process) throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            guard server.isRunning else { throw BenchError("the server exited with status \(server.terminationStatus)") }
            if (try? client.call(.health)) != nil { return }
            usleep(100_000)
        }
        throw BenchError("the server did not answer health within 120 s")
    }

    static func expectSuccess(_ observation: JSONValue) throws {
        let status = observation["result"]?["execution"]?["status"]?.stringValue ?? observation["action_status"]?.stringValue
        guard status == "SUCCESS" else { throw BenchError("a measured step failed: \(observation["feedback"]?.encodedString() ?? "")") }
    }

    /// One fresh interpreter, started with posix_spawn (as the server starts its own processes).
    private func fresh(_ python: String, _ code: String) throws {
        let outcome = Mutex<Result<ProcessOutcome, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        _Concurrency.Task {
            do {
                let result = try await ChildProcess.run(executable: python, arguments: ["-c", code],
                                                        environment: ["PATH=/usr/bin:/bin", "OPENBLAS_NUM_THREADS=1"],
                                                        limits: ProcessLimits(wallClockSeconds: 120))
                outcome.withLock { $0 = .success(result) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        let result = try outcome.withLock { $0 }!.get()
        guard result.exitCode == 0 else { throw BenchError("fresh python failed on: \(code.prefix(80)): \(result.stderr.text.prefix(300))") }
    }

    func timed(_ count: Int, _ body: () throws -> Void) throws -> [Double] {
        try (0..<count).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        }
    }

    /// A real solution for the penguins task, as an agent would send it.
    static func solution(dataPath: String) -> String {
        """
        import pandas as pd
        from sklearn.ensemble import RandomForestClassifier
        train = pd.read_csv('\(dataPath)/train.csv'); test = pd.read_csv('\(dataPath)/test.csv')
        sample = pd.read_csv('\(dataPath)/sample_submission.csv')
        target = sample.columns[1]
        features = [c for c in test.columns if c != sample.columns[0]]
        X = pd.get_dummies(train[features]); Xt = pd.get_dummies(test[features]).reindex(columns=X.columns, fill_value=0)
        model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X.fillna(-1), train[target])
        sample[target] = model.predict(Xt.fillna(-1))
        sample.to_csv('submission.csv', index=False)
        """
    }
}

/// One line of the benchmark table.
/// One line of the bench table.
struct BenchRow {
    let cells: [String]

    init(_ name: String, server: [Double], fresh: [Double]) {
        let (median, p99) = Self.summary(server)
        let freshMedian = Self.summary(fresh).median
        cells = [name, Self.format(median), Self.format(p99), Self.format(freshMedian), String(format: "%.1fx", freshMedian / median)]
    }

    init(_ name: String, rate: Double) { cells = [name, String(format: "%.0f/s", rate), "", "", ""] }
    init(_ name: String, note: String) { cells = [name, note, "", "", ""] }

    static func summary(_ samples: [Double]) -> (median: Double, p99: Double) {
        let sorted = samples.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))])
    }

    static func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }
}

/// A benchmark step that could not be measured.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
