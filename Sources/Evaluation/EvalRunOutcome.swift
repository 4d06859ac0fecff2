/// What a finished run contributes to its `eval_runs` row (protocol/evaluation.md §1).
public struct EvalRunOutcome: Sendable, Equatable {
    /// The best graded submission's full-test score; nil when nothing was graded.
    public var bestScore: Double?
    /// The task's reference scores as the server reports them.
    public var randomScore: Double?
    public var bestKnown: Double?
    public var steps: Int
    public var promptTokens: Int
    public var completionTokens: Int
    /// Nil when the model has no price (players without a model cost 0).
    public var costUSD: Double?
    public var seconds: Double
    /// The agent's end reason code (finished, step_budget, ...).
    public var endReason: String?

    public init(bestScore: Double?, randomScore: Double?, bestKnown: Double?, steps: Int, promptTokens: Int, completionTokens: Int,
                costUSD: Double?, seconds: Double, endReason: String?) {
        self.bestScore = bestScore
        self.randomScore = randomScore
        self.bestKnown = bestKnown
        self.steps = steps
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
        self.seconds = seconds
        self.endReason = endReason
    }
}
