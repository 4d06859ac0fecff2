import Foundation
import ReActAgent
import Wire

/// One turn of a generator agent: the reply, the tool it called and what the tool gave back, as stored.
public struct AgentTurn: Sendable {
    public var step: Int
    /// The tool called, nil when the reply held no usable call.
    public var tool: String?
    public var arguments: String
    public var reply: String
    public var result: String
    public var ok: Bool
    public var usage: TokenUsage
    public var seconds: Double
}

/// How one agent invocation went: why it ended, its result, its steps, tokens, cost and time.
public struct AgentRun: Sendable {
    /// Why the loop stopped.
    public enum End: Sendable, Equatable {
        /// `finish` was called with a result that passed the role's check.
        case finished
        /// The step budget was spent before `finish`.
        case stepBudget
        /// The model or its endpoint failed (after the client's retries), or the deadline passed.
        case modelError(String)

        public var name: String {
            switch self {
            case .finished: "finished"
            case .stepBudget: "step_budget"
            case .modelError: "model_error"
            }
        }
    }

    public var role: AgentRole
    public var attempt: Int
    public var end: End
    /// The `finish` arguments (after the role's check), or null.
    public var result: JSONValue
    public var turns: [AgentTurn]
    public var usage: TokenUsage
    public var costUSD: Double?
    public var seconds: Double

    public var steps: Int { turns.count }
    /// Tool calls made, whatever they returned (not counting `finish` and replies with no call).
    public var toolCalls: Int { turns.filter { $0.tool != nil && $0.tool != AgentTool.finish.rawValue }.count }

    /// Why the run produced no result, as a defect message (nil when it finished).
    public var failure: String? {
        switch end {
        case .finished: nil
        case .stepBudget: "the \(role.rawValue) spent its \(steps) steps without calling finish with a valid result"
        case .modelError(let message): "the \(role.rawValue)'s model failed: \(message)"
        }
    }

    public var json: JSONValue {
        ["role": .string(role.rawValue), "attempt": .number(Double(attempt)), "end": .string(end.name),
         "error": .string(failure), "steps": .number(Double(steps)), "tool_calls": .number(Double(toolCalls)),
         "prompt_tokens": .number(Double(usage.promptTokens)), "completion_tokens": .number(Double(usage.completionTokens)),
         "cost_usd": .number(costUSD), "seconds": .number((seconds * 100).rounded() / 100)]
    }
}
