import Foundation
import SQLite
import Wire

extension GenerationStore {
    /// The key of one agent invocation within a run.
    public static func invocation(scope: String, role: AgentRole, attempt: Int) -> String { "\(scope)/\(role.rawValue)/\(attempt)" }

    /// Opens the record of an agent invocation (before its first turn, so a crash leaves it visible).
    public func beginAgentRun(run: String, scope: String, role: AgentRole, attempt: Int) throws {
        _ = try database.run(
            "INSERT OR REPLACE INTO agent_runs (run_id, invocation, scope, role, attempt) VALUES (?,?,?,?,?)",
            [.text(run), .text(Self.invocation(scope: scope, role: role, attempt: attempt)), .text(scope), .text(role.rawValue),
             .integer(Int64(attempt))])
    }

    /// Stores one turn as it happens: the reply, the tool call and its result.
    public func recordAgentTurn(run: String, scope: String, role: AgentRole, attempt: Int, turn: AgentTurn) throws {
        _ = try database.run(
            "INSERT OR REPLACE INTO agent_turns (run_id, invocation, step, tool, arguments, reply, result, ok, prompt_tokens, completion_tokens, seconds, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [.text(run), .text(Self.invocation(scope: scope, role: role, attempt: attempt)), .integer(Int64(turn.step)),
             turn.tool.map { .text($0) } ?? .null, .text(turn.arguments), .text(turn.reply), .text(turn.result),
             .integer(turn.ok ? 1 : 0), .integer(Int64(turn.usage.promptTokens)), .integer(Int64(turn.usage.completionTokens)),
             .real(turn.seconds), .text(Self.now())])
    }

    /// Closes the record of an agent invocation with its totals.
    public func finishAgentRun(run: String, scope: String, agent: AgentRun) throws {
        _ = try database.run(
            "UPDATE agent_runs SET end_reason = ?, error = ?, steps = ?, tool_calls = ?, prompt_tokens = ?, completion_tokens = ?, cost_usd = ?, seconds = ?, result = ? WHERE run_id = ? AND invocation = ?",
            [.text(agent.end.name), agent.failure.map { .text($0) } ?? .null, .integer(Int64(agent.steps)),
             .integer(Int64(agent.toolCalls)), .integer(Int64(agent.usage.promptTokens)), .integer(Int64(agent.usage.completionTokens)),
             agent.costUSD.map { .real($0) } ?? .null, .real(agent.seconds), .text(agent.result.encodedString()), .text(run),
             .text(Self.invocation(scope: scope, role: agent.role, attempt: agent.attempt))])
    }

    /// The agent invocations of a run, in the order they began: (invocation, end reason, steps).
    public func agentRuns(run: String) throws -> [(invocation: String, end: String?, steps: Int)] {
        try database.query("SELECT invocation, end_reason, steps FROM agent_runs WHERE run_id = ? ORDER BY rowid", [.text(run)]).map {
            ($0["invocation"]?.text ?? "", $0["end_reason"]?.text, Int($0["steps"]?.integer ?? 0))
        }
    }
}
