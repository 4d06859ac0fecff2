import Foundation
import Wire

/// One turn of an episode, as stored: the prompt sent, the reply, the action, what the server
/// answered, and what it cost in tokens, money and time.
public struct TurnRecord: Sendable {
    public var turn: Int
    public var startedAt: Date
    /// The messages sent to the model this turn (fitted to the context window).
    public var prompt: [ChatMessage]
    /// This turn's own user message in full (the last message of `prompt` before any fitting).
    public var userMessage: String
    public var reply: String
    public var reasoning: String?
    public var repairs: [RepairExchange] = []
    public var action: AgentAction?
    public var observation: ObservationView?
    /// The observation as the model reads it next turn (cut to the observation budget).
    public var observationText: String?
    /// Why the turn has no observation: the policy failed, or the server refused or failed the action.
    public var error: String?
    public var usage: TokenUsage = .zero
    public var costUSD: Double = 0
    public var modelSeconds: Double = 0
    public var envSeconds: Double = 0
    public var retries: [String] = []

    public var reward: Double { observation?.reward ?? 0 }
    public var score: Double? { observation?.submissionScore }
}
