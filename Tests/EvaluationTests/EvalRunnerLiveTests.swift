import Env
import EnvTesting
import Evaluation
import Foundation
import Synchronization
import ReActAgent
import SQLite
import Testing

private let hasSandbox = FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")
private let prepared = ["penguins-species", "ames-house-prices"].allSatisfy {
    FileManager.default.fileExists(atPath: RepositoryPaths.tasks.appending(path: "\($0)/data/private/test_answer.csv").path)
}

@Suite("EvalRunner against a real Env", .serialized, .enabled(if: hasSandbox && prepared, "needs bubblewrap and prepared bundled tasks"))
struct EvalRunnerLiveTests {
    @Test func baselineBeatsTheSampleAndFinishedRunsAreNotPlayedAgain() async throws {
        let folder = try TemporaryDirectory("mledojo-eval-live")
        defer { folder.remove() }
        let path = folder.url.appending(path: "eval.sqlite").path
        try await TestServer.with { server in
            let env = try EnvClient(endpoint: server.endpoint)
            defer { env.close() }
            let listings = try TaskSet.parse("penguins-species,ames-house-prices").resolve(try await env.listTasks())
            #expect(listings.map(\.id) == ["ames-house-prices", "penguins-species"])
            #expect(listings.allSatisfy { $0.source == "mledojo" && $0.modality == "tabular" })
            let specs = try ModelSpec.parseAll(["base=baseline", "floor=sample", "dead=http://127.0.0.1:9/v1,model=nobody"])
            let store = try EvalStore(path: path)
            let configuration = EvalRunner.Configuration(
                runs: 1, limits: EpisodeLimits(maxSteps: 10, timeLimitSeconds: 600, execTimeoutSeconds: 300), concurrency: 2,
                serverDescription: server.endpoint)
            let events = EventLog()
            let runner = try await EvalRunner(env: env, store: store, resources: try AgentResources.locate(), specs: specs,
                                              tasks: listings, configuration: configuration) { event, progress in
                events.add(event, progress)
            }
            let progress = await runner.run()
            #expect(progress.total == 6 && progress.done == 4 && progress.failed == 2 && progress.isComplete)
            #expect(events.lines.filter { $0.hasPrefix("finished ") }.count == 4)
            #expect(events.statusLines.last == "done 4 / total 6 · running 0 · failed 2 · ETA 0s")

            let database = try SQLiteDatabase(path: path)
            func best(_ key: String) throws -> Double? {
                try database.query("SELECT best_score FROM eval_runs WHERE run_key = ? AND status = 'finished'", [.text(key)]).first?["best_score"]?.real
            }
            // penguins: accuracy, higher is better; ames: RMSE of log prices, lower is better.
            let penguinsBase = try #require(try best("base/penguins-species/1"))
            let penguinsFloor = try #require(try best("floor/penguins-species/1"))
            let amesBase = try #require(try best("base/ames-house-prices/1"))
            let amesFloor = try #require(try best("floor/ames-house-prices/1"))
            #expect(penguinsBase > penguinsFloor + 0.2)
            #expect(amesBase < amesFloor - 0.2)
            let ames = try #require(try database.query("SELECT * FROM eval_runs WHERE run_key = 'floor/ames-house-prices/1'").first)
            #expect(ames["higher_is_better"]?.integer == 0 && ames["random_score"]?.real != nil && ames["best_known"]?.real != nil)
            #expect(ames["steps"]?.integer == 2 && ames["end_reason"]?.text == "finished" && ames["cost_usd"]?.real == 0)
            #expect(abs(amesFloor - (ames["random_score"]?.real ?? 0)) < 0.01, "the sample player scores the random reference")

            let steps = try database.query("SELECT action, score FROM eval_steps WHERE run_key = 'floor/penguins-species/1' ORDER BY step")
            #expect(steps.map { $0["action"]?.text ?? "" } == ["request_info", "execute_code", "finish"])
            #expect(steps[1]["score"]?.real == penguinsFloor)
            let baseSteps = try database.query("SELECT action, score FROM eval_steps WHERE run_key = 'base/ames-house-prices/1' ORDER BY step")
            #expect(baseSteps.filter { $0["action"]?.text == "execute_code" }.count >= 2)
            #expect(baseSteps.compactMap { $0["score"]?.real }.min() == amesBase, "the best step is the run's best score")

            let dead = try database.query("SELECT status, error, end_reason FROM eval_runs WHERE model = 'dead'")
            #expect(dead.count == 2 && dead.allSatisfy { $0["status"]?.text == "failed" && $0["end_reason"]?.text == "model_error" })

            // Again: the finished runs are skipped, the failed ones played again (and fail again).
            let again = try await EvalRunner(env: env, store: store, resources: try AgentResources.locate(), specs: specs,
                                             tasks: listings, configuration: configuration)
            let before = await again.progress
            #expect(before.skipped == 4 && before.pendingKeys.map(\.model) == ["dead", "dead"])
            let after = await again.run()
            #expect(after.failed == 2 && after.done == 4)
        }
    }
}

/// The runner's events, for the assertions.
final class EventLog: Sendable {
    private let state = Mutex<(lines: [String], status: [String])>(([], []))
    func add(_ event: EvalEvent, _ progress: EvalProgress) {
        state.withLock {
            if let line = event.line { $0.lines.append(line) }
            $0.status.append(progress.statusLine(concurrency: 2))
        }
    }
    var lines: [String] { state.withLock { $0.lines } }
    var statusLines: [String] { state.withLock { $0.status } }
}
