import Wire

/// What the policy sees when it decides.
public struct DecisionContext: Sendable {
    /// 1-based turn number.
    public var turn: Int
    /// The conversation to send, fitted to the context window; its last message is this turn's prompt.
    public var messages: [ChatMessage]
    /// The observation of the previous action (nil before the first).
    public var lastObservation: ObservationView?
    /// The action that produced `lastObservation`.
    public var lastAction: AgentAction?
    public var remaining: RemainingBudget
    /// When the episode's wall clock runs out.
    public var deadline: ContinuousClock.Instant

    public init(turn: Int, messages: [ChatMessage], lastObservation: ObservationView?, lastAction: AgentAction?,
                remaining: RemainingBudget, deadline: ContinuousClock.Instant) {
        self.turn = turn
        self.messages = messages
        self.lastObservation = lastObservation
        self.lastAction = lastAction
        self.remaining = remaining
        self.deadline = deadline
    }
}
