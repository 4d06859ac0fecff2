import Wire

/// What execution validation concludes about a task from one run.
public struct Verdict: Sendable, Equatable {
    /// `solvable`: a graded submission from the agent's code beat the random sample submission by the
    /// margin. `not_solvable`: the pipeline ran, but no submission did. `error`: the run could not say
    /// (the server, the model endpoint or the random reference failed before any evidence).
    public enum Status: String, Sendable, Equatable, Codable {
        case solvable
        case notSolvable = "not_solvable"
        case error
    }

    public var status: Status
    public var reasons: [String]
    /// A graded submission came out of code the agent ran.
    public var ranEndToEnd: Bool
    public var bestScore: Double?
    public var randomScore: Double?
    /// Best minus random, in the metric's direction (positive = better than random).
    public var gap: Double?
    public var margin: SensitivityMargin?

    public var json: JSONValue {
        [
            "status": .string(status.rawValue), "reasons": .array(reasons.map { .string($0) }), "ran_end_to_end": .bool(ranEndToEnd),
            "best_score": .number(bestScore), "random_score": .number(randomScore), "gap": .number(gap),
            "margin": .number(margin?.margin), "margin_rule": .string(margin?.rule),
        ]
    }
}
