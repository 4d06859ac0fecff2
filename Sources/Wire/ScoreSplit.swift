/// Which rows of the answers in-episode scores use.
public enum ScoreSplit: String, Sendable, Codable, CaseIterable {
    /// The public slice (as Kaggle's public leaderboard); `close` reveals the private slice.
    case `public`
    /// Every row, exactly as MLE-Dojo scores.
    case full
}
