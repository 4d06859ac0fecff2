import EnvTesting
import Evaluation
import Foundation
import ReActAgent
import SQLite
import Testing

@Suite("EvalStore")
struct EvalStoreTests {
    /// The column names of each table in protocol/evaluation.md's schema block, in order.
    static func protocolColumns() throws -> [String: [String]] {
        let text = try String(contentsOf: RepositoryPaths.root.appending(path: "protocol/evaluation.md"), encoding: .utf8)
        var tables: [String: [String]] = [:]
        var current: String?
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "--", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("CREATE TABLE ") {
                current = String(trimmed.dropFirst("CREATE TABLE ".count).prefix { $0 != " " && $0 != "(" })
                tables[current!] = []
            } else if trimmed.hasPrefix(")") {
                current = nil
            } else if let table = current, !trimmed.hasPrefix("PRIMARY KEY") {
                for piece in trimmed.split(separator: ",") {
                    if let name = piece.split(separator: " ").first, !name.isEmpty { tables[table]?.append(String(name)) }
                }
            }
        }
        return tables
    }

    @Test func theTablesAreExactlyTheProtocols() async throws {
        let folder = try TemporaryDirectory("mledojo-eval-store")
        defer { folder.remove() }
        let path = folder.url.appending(path: "sub/eval.sqlite").path
        _ = try EvalStore(path: path)
        let expected = try Self.protocolColumns()
        #expect(expected["eval_runs"]?.count == 20 && expected["eval_steps"] == ["run_key", "step", "action", "score"])
        let database = try SQLiteDatabase(path: path)
        for (table, columns) in expected {
            let info = try database.query("PRAGMA table_info(\(table))")
            #expect(info.map { $0["name"]?.text ?? "" } == columns, "\(table)")
        }
        let keys = try database.query("PRAGMA table_info(eval_steps)").filter { ($0["pk"]?.integer ?? 0) > 0 }.map { $0["name"]?.text ?? "" }
        #expect(keys == ["run_key", "step"])
        #expect(try database.query("PRAGMA journal_mode").first?["journal_mode"]?.text == "wal")
    }

    @Test func rowsFollowTheRunAndResumeSkipsOnlyFinishedRuns() async throws {
        let folder = try TemporaryDirectory("mledojo-eval-store")
        defer { folder.remove() }
        let path = folder.url.appending(path: "eval.sqlite").path
        let task = TaskListing(id: "t1", metric: "rmse", higherIsBetter: false, source: "mledojo", modality: "tabular")
        let keys = EvalKey.plan(models: ["a", "b", "c"], tasks: ["t1"], runs: 1)
        do {
            let store = try EvalStore(path: path)
            for key in keys { try await store.beginRun(key, task: task) }
            try await store.recordStep(keys[0], step: 1, action: "request_info", score: nil)
            try await store.recordStep(keys[0], step: 2, action: "execute_code", score: 0.25)
            try await store.recordStep(keys[0], step: 3, action: "finish", score: nil)
            try await store.finishRun(keys[0], EvalRunOutcome(bestScore: 0.25, randomScore: 0.9, bestKnown: 0.1, steps: 2, promptTokens: 10,
                                                               completionTokens: 5, costUSD: nil, seconds: 3.5, endReason: "finished"))
            try await store.recordStep(keys[1], step: 1, action: "execute_code", score: nil)
            try await store.failRun(keys[1], error: "the environment failed: server gone", seconds: 1, endReason: "environment_error")
            // keys[2] stays `running`: the process was killed.
        }
        let store = try EvalStore(path: path)
        let finished = try await store.finishedKeys()
        #expect(finished == [keys[0]])
        let progress = EvalProgress(planned: keys, alreadyFinished: finished)
        #expect(progress.pendingKeys == [keys[1], keys[2]], "failed and running runs are played again")

        let database = try SQLiteDatabase(path: path)
        let row = try #require(try database.query("SELECT * FROM eval_runs WHERE run_key = 'a/t1/1'").first)
        #expect(row["status"]?.text == "finished" && row["model"]?.text == "a" && row["task"]?.text == "t1" && row["run_index"]?.integer == 1)
        #expect(row["task_source"]?.text == "mledojo" && row["task_modality"]?.text == "tabular" && row["higher_is_better"]?.integer == 0)
        #expect(row["best_score"]?.real == 0.25 && row["random_score"]?.real == 0.9 && row["best_known"]?.real == 0.1)
        #expect(row["steps"]?.integer == 2 && row["prompt_tokens"]?.integer == 10 && row["completion_tokens"]?.integer == 5)
        #expect(row["cost_usd"] == .null && row["seconds"]?.real == 3.5 && row["end_reason"]?.text == "finished")
        #expect(row["started_at"]?.text != nil && row["finished_at"]?.text != nil && row["error"] == .null)
        let steps = try database.query("SELECT step, action, score FROM eval_steps WHERE run_key = 'a/t1/1' ORDER BY step")
        #expect(steps.map { $0["action"]?.text ?? "" } == ["request_info", "execute_code", "finish"])
        #expect(steps.map { $0["score"]?.real } == [nil, 0.25, nil])
        let failed = try #require(try database.query("SELECT status, error FROM eval_runs WHERE run_key = 'b/t1/1'").first)
        #expect(failed["status"]?.text == "failed" && failed["error"]?.text?.contains("server gone") == true)
        #expect(try database.query("SELECT status FROM eval_runs WHERE run_key = 'c/t1/1'").first?["status"]?.text == "running")

        // Playing a run again starts it from scratch: its old steps go.
        try await store.beginRun(keys[1], task: task)
        #expect(try database.query("SELECT * FROM eval_steps WHERE run_key = 'b/t1/1'").isEmpty)
        #expect(try database.query("SELECT status, error FROM eval_runs WHERE run_key = 'b/t1/1'").first?["status"]?.text == "running")
    }
}
