import Wire

/// The score of the task's random sample submission: measured through the protocol on the same
/// split as the agent's scores when possible, else the task's `reference_scores.random`.
public struct RandomReference: Sendable, Equatable {
    /// The sample submission graded in a separate probe session (public split, as in-episode scores).
    public var measured: Double?
    /// `reference_scores.random` from request_info("metric") (usually on all test rows).
    public var reference: Double?
    /// `reference_scores.best_known`, for the sensitivity margin.
    public var bestKnown: Double?
    public var metric: String?
    public var higherIsBetter: Bool?
    /// Why the measurement is missing, if it is.
    public var problem: String?

    public init(measured: Double? = nil, reference: Double? = nil, bestKnown: Double? = nil, metric: String? = nil,
                higherIsBetter: Bool? = nil, problem: String? = nil) {
        self.measured = measured
        self.reference = reference
        self.bestKnown = bestKnown
        self.metric = metric
        self.higherIsBetter = higherIsBetter
        self.problem = problem
    }

    /// The score the verdict compares against.
    public var score: Double? { measured ?? reference }
    /// "measured", "reference" or "none".
    public var source: String { measured != nil ? "measured" : (reference != nil ? "reference" : "none") }

    public var json: JSONValue {
        [
            "score": .number(score), "source": .string(source), "measured": .number(measured), "reference": .number(reference),
            "best_known": .number(bestKnown), "problem": .string(problem),
        ]
    }
}
