import Wire

/// Chooses the next action of an episode. The LLM policy asks a model; the baseline policy follows a
/// fixed plan. Both write their reply in the same format (reasoning + a ```json action block), so
/// their trajectories look alike.
public protocol AgentPolicy: Sendable {
    /// "llm" or "baseline".
    var name: String { get }
    /// The model name, for the LLM policy.
    var model: String? { get }
    /// The format the policy's replies take; the system prompt describes it.
    var actionFormat: ActionFormat { get }
    func decide(_ context: DecisionContext) async -> PolicyDecision
}

extension AgentPolicy {
    /// Policies without a model (the baseline) write MLE-Dojo's fenced block.
    public var actionFormat: ActionFormat { .fenced }
}
