import EnvTesting
import Foundation
import ReActAgent
import SQLite
import Testing
import Wire

@testable import Generator

/// Agent runs and turns land in a real SQLite file: an invocation is visible from its start, each turn
/// as it happens, and its totals once it ends.
@Suite("GenerationStore agents")
struct GenerationStoreAgentTests {
    static func turn(_ step: Int, tool: String?, ok: Bool) -> AgentTurn {
        AgentTurn(step: step, tool: tool, arguments: tool == nil ? "" : #"{"path": "a.txt"}"#, reply: "reply \(step)",
                  result: ok ? "wrote 1 bytes" : "error: your reply called no tool", ok: ok,
                  usage: TokenUsage(promptTokens: 100 * step, completionTokens: 10 * step), seconds: 0.25)
    }

    @Test func anAgentRunAndItsTurnsRoundTrip() async throws {
        let folder = try TemporaryDirectory("gen-store-agents")
        defer { folder.remove() }
        let path = folder.url.appending(path: "generate.sqlite").path
        let store = try GenerationStore(path: path)
        try await store.beginRun(id: "r1", settings: [:])
        try await store.beginAgentRun(run: "r1", scope: "houses-price", role: .designer, attempt: 2)

        // Begun but not finished: visible, with no end yet (a crash leaves it so).
        let database = try SQLiteDatabase(path: path)
        let open = try database.query("SELECT * FROM agent_runs WHERE run_id = 'r1'")
        #expect(open.count == 1)
        #expect(open.first?["invocation"]?.text == "houses-price/designer/2")
        #expect(open.first?["end_reason"] == .null)

        let turns = [Self.turn(1, tool: "write_file", ok: true), Self.turn(2, tool: nil, ok: false), Self.turn(3, tool: "finish", ok: true)]
        for turn in turns { try await store.recordAgentTurn(run: "r1", scope: "houses-price", role: .designer, attempt: 2, turn: turn) }
        let run = AgentRun(role: .designer, attempt: 2, end: .finished, result: ["summary": "built"], turns: turns,
                           usage: TokenUsage(promptTokens: 600, completionTokens: 60), costUSD: 0.0012, seconds: 4.5)
        try await store.finishAgentRun(run: "r1", scope: "houses-price", agent: run)

        let rows = try database.query("SELECT * FROM agent_runs WHERE run_id = 'r1'")
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(row["scope"]?.text == "houses-price" && row["role"]?.text == "designer" && row["attempt"]?.integer == 2)
        #expect(row["end_reason"]?.text == "finished")
        #expect(row["error"] == .null)
        #expect(row["steps"]?.integer == 3 && row["tool_calls"]?.integer == 1)
        #expect(row["prompt_tokens"]?.integer == 600 && row["completion_tokens"]?.integer == 60)
        #expect(row["cost_usd"]?.real == 0.0012 && row["seconds"]?.real == 4.5)
        #expect(try JSONValue.decode(Data((row["result"]?.text ?? "").utf8)) == ["summary": "built"])

        let stored = try database.query("SELECT * FROM agent_turns WHERE run_id = 'r1' AND invocation = 'houses-price/designer/2' ORDER BY step")
        #expect(stored.map { $0["step"]?.integer } == [1, 2, 3])
        #expect(stored.map { $0["tool"]?.text } == ["write_file", nil, "finish"])
        #expect(stored[1]["tool"] == .null, "a reply with no usable call stores a null tool")
        #expect(stored.map { $0["ok"]?.integer } == [1, 0, 1])
        #expect(stored[0]["arguments"]?.text == #"{"path": "a.txt"}"# && stored[1]["reply"]?.text == "reply 2")
        #expect(stored[1]["result"]?.text == "error: your reply called no tool")
        #expect(stored.map { $0["prompt_tokens"]?.integer } == [100, 200, 300])
        #expect(stored.allSatisfy { $0["seconds"]?.real == 0.25 && ($0["at"]?.text?.isEmpty == false) })

        let listed = try await store.agentRuns(run: "r1")
        #expect(listed.map(\.invocation) == ["houses-price/designer/2"])
        #expect(listed.first?.end == "finished" && listed.first?.steps == 3)
    }

    @Test func aRunThatFailedStoresWhyAndRunsListInTheOrderTheyBegan() async throws {
        let folder = try TemporaryDirectory("gen-store-agents")
        defer { folder.remove() }
        let path = folder.url.appending(path: "generate.sqlite").path
        let store = try GenerationStore(path: path)
        try await store.beginAgentRun(run: "r2", scope: "houses", role: .brainstormer, attempt: 1)
        try await store.beginAgentRun(run: "r2", scope: "houses-price", role: .reviewer, attempt: 1)
        try await store.beginAgentRun(run: "other", scope: "houses", role: .brainstormer, attempt: 1)

        let budget = AgentRun(role: .brainstormer, attempt: 1, end: .stepBudget, result: .null,
                              turns: [Self.turn(1, tool: "bash", ok: true)], usage: TokenUsage(promptTokens: 5), costUSD: nil, seconds: 1)
        try await store.finishAgentRun(run: "r2", scope: "houses", agent: budget)
        let failed = AgentRun(role: .reviewer, attempt: 1, end: .modelError("HTTP 500 after 3 attempt(s): down"), result: .null,
                              turns: [], usage: TokenUsage(), costUSD: nil, seconds: 2)
        try await store.finishAgentRun(run: "r2", scope: "houses-price", agent: failed)

        let listed = try await store.agentRuns(run: "r2")
        #expect(listed.map(\.invocation) == ["houses/brainstormer/1", "houses-price/reviewer/1"])
        #expect(listed.map(\.end) == ["step_budget", "model_error"])
        #expect(listed.map(\.steps) == [1, 0])
        #expect(try await store.agentRuns(run: "other").first?.end == nil, "another run's invocation is untouched")

        let database = try SQLiteDatabase(path: path)
        let rows = try database.query("SELECT invocation, error, cost_usd, result FROM agent_runs WHERE run_id = 'r2' ORDER BY rowid")
        #expect(rows[0]["error"]?.text == budget.failure)
        #expect(rows[1]["error"]?.text == "the reviewer's model failed: HTTP 500 after 3 attempt(s): down")
        #expect(rows.allSatisfy { $0["cost_usd"] == .null && $0["result"]?.text == "null" })
    }
}
