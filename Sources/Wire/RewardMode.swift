/// How a session's rewards are paid (protocol.md section 5, "Rewards"; the table there gives each formula).
public enum RewardMode: String, Sendable, Codable, CaseIterable {
    /// Each graded submission pays its position score (normalised score where no leaderboard), as MLE-Dojo.
    case position
    /// Each graded submission pays its normalised score.
    case normalized
    /// Each graded submission pays its raw score, negated when lower is better.
    case raw
    /// Pays the improvement of the best normalised score so far (never negative).
    case delta
    /// Each graded submission pays its medal's reward (`Medal.reward`), as MLE-bench grades.
    case medal
}

/// The rung of the medal ladder a graded submission reaches (protocol.md section 5, "Medals").
public enum Medal: String, Sendable, Codable, CaseIterable {
    case gold
    case silver
    case bronze
    /// No medal, but strictly better than the median threshold.
    case aboveMedian = "above_median"
    case none

    /// The reward of a submission that reaches this rung under `reward_mode: "medal"`.
    public var reward: Double {
        switch self {
        case .gold: 1
        case .silver: 0.75
        case .bronze: 0.5
        case .aboveMedian: 0.25
        case .none: 0
        }
    }
}
