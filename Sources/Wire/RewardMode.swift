/// How a session's rewards are paid (protocol.md, "Rewards").
public enum RewardMode: String, Sendable, Codable, CaseIterable {
    /// Each graded submission pays its position score (normalised score where no leaderboard), as MLE-Dojo.
    case position
    /// Each graded submission pays its normalised score.
    case normalized
    /// Each graded submission pays its raw score, negated when lower is better.
    case raw
    /// Pays the improvement of the best normalised score so far (never negative).
    case delta
}
