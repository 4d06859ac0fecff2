import Foundation

/// The score thresholds of a task's medals (protocol.md section 5, "Medals").
///
/// With a leaderboard the rule is MLE-bench's (openai/mle-bench, mlebench/grade_helpers.py,
/// `CompetitionGrader.rank_score`, after kaggle.com/progression): with N entries sorted best first
/// and `score(p)` the score at place p (1-based),
///
/// | N            | gold                      | silver                   | bronze                   |
/// |--------------|---------------------------|--------------------------|--------------------------|
/// | 1 – 99       | score(max(1, ⌊0.1 N⌋))    | score(max(1, ⌊0.2 N⌋))   | score(max(1, ⌊0.4 N⌋))   |
/// | 100 – 249    | score(10)                 | score(max(1, ⌊0.2 N⌋))   | score(max(1, ⌊0.4 N⌋))   |
/// | 250 – 999    | score(10 + ⌊0.002 N⌋)     | score(50)                | score(100)               |
/// | 1000 and up  | score(10 + ⌊0.002 N⌋)     | score(max(1, ⌊0.05 N⌋))  | score(max(1, ⌊0.1 N⌋))   |
///
/// and the median threshold is the board's median. Without a leaderboard the ladder comes from the
/// reference scores: median = baseline (random where the task has no baseline), and bronze, silver,
/// gold lie 0.5, 0.75 and 0.9 of the way from there to best_known.
public struct MedalLadder: Sendable, Equatable {
    public enum Source: String, Sendable { case leaderboard, referenceScores = "reference_scores" }

    public var gold: Double
    public var silver: Double
    public var bronze: Double
    public var median: Double
    public var higherIsBetter: Bool
    public var source: Source
    /// The leaderboard the thresholds come from and its number of entries (nil for reference scores).
    public var board: String?
    public var teams: Int?

    /// Fractions of the way from the median threshold (baseline) to best_known, for tasks without a leaderboard.
    public static let referenceFractions = (bronze: 0.5, silver: 0.75, gold: 0.9)

    /// MLE-bench's thresholds for a leaderboard (any order; non-finite entries are dropped). Nil for an empty board.
    public static func leaderboard(_ scores: [Double], higherIsBetter: Bool, name: String? = nil) -> MedalLadder? {
        let sorted = scores.filter(\.isFinite).sorted(by: higherIsBetter ? (>) : (<))
        let n = sorted.count
        guard n > 0 else { return nil }
        let places = placesOfThresholds(teams: n)
        let ascending = sorted.sorted()
        let median = n % 2 == 1 ? ascending[n / 2] : (ascending[n / 2 - 1] + ascending[n / 2]) / 2
        return MedalLadder(gold: sorted[places.gold - 1], silver: sorted[places.silver - 1], bronze: sorted[places.bronze - 1],
                           median: median, higherIsBetter: higherIsBetter, source: .leaderboard, board: name, teams: n)
    }

    /// The places (1-based, best first) whose scores are the gold, silver and bronze thresholds on a board of `teams`
    /// entries, as MLE-bench computes them (Python's `int()` truncation of the same double products).
    public static func placesOfThresholds(teams n: Int) -> (gold: Int, silver: Int, bronze: Int) {
        precondition(n >= 1)
        let share = { (fraction: Double) in max(1, Int(Double(n) * fraction)) }
        let places: (gold: Int, silver: Int, bronze: Int)
        switch n {
        case ..<100: places = (share(0.1), share(0.2), share(0.4))
        case ..<250: places = (10, share(0.2), share(0.4))
        case ..<1000: places = (10 + Int(Double(n) * 0.002), 50, 100)
        default: places = (10 + Int(Double(n) * 0.002), share(0.05), share(0.1))
        }
        // MLE-bench raises IndexError past the board's end; every place above is within 1...n for n ≥ 1.
        return (min(places.gold, n), min(places.silver, n), min(places.bronze, n))
    }

    /// The ladder from reference scores: median = baseline (else random), the medals at fixed fractions of the
    /// way to best_known. Nil without best_known and one of baseline/random, or when best_known is worse.
    public static func references(baseline: Double?, random: Double?, bestKnown: Double?, higherIsBetter: Bool) -> MedalLadder? {
        guard let bestKnown, bestKnown.isFinite, let floor = [baseline, random].compactMap({ $0 }).first(where: \.isFinite)
        else { return nil }
        guard higherIsBetter ? bestKnown >= floor : bestKnown <= floor else { return nil }
        let at = { (fraction: Double) in floor + fraction * (bestKnown - floor) }
        let f = referenceFractions
        return MedalLadder(gold: at(f.gold), silver: at(f.silver), bronze: at(f.bronze), median: floor,
                           higherIsBetter: higherIsBetter, source: .referenceScores, board: nil, teams: nil)
    }

    /// The ladder of a task: its private leaderboard, else its public one, else any; else its reference scores.
    public static func of(leaderboards: [String: [Double]], higherIsBetter: Bool, baseline: Double?, random: Double?,
                          bestKnown: Double?) -> MedalLadder? {
        let names = leaderboards.keys.sorted { rank($0) < rank($1) || (rank($0) == rank($1) && $0 < $1) }
        for name in names {
            if let ladder = leaderboard(leaderboards[name] ?? [], higherIsBetter: higherIsBetter, name: name) { return ladder }
        }
        return references(baseline: baseline, random: random, bestKnown: bestKnown, higherIsBetter: higherIsBetter)
    }

    private static func rank(_ board: String) -> Int { board == "private" ? 0 : board == "public" ? 1 : 2 }

    /// The highest rung `score` reaches: a medal when it ties or beats the threshold (MLE-bench's `>=`/`<=`),
    /// above the median only when strictly better. A non-finite score reaches none.
    public func medal(_ score: Double) -> Medal {
        guard score.isFinite else { return .none }
        let reaches = { (threshold: Double) in higherIsBetter ? score >= threshold : score <= threshold }
        if reaches(gold) { return .gold }
        if reaches(silver) { return .silver }
        if reaches(bronze) { return .bronze }
        if higherIsBetter ? score > median : score < median { return .aboveMedian }
        return .none
    }

    /// `request_info("metric")`'s `medal_thresholds`.
    public var json: JSONValue {
        [
            "source": .string(source.rawValue), "board": .string(board), "teams": teams.map { .number(Double($0)) } ?? .null,
            "gold": .number(gold), "silver": .number(silver), "bronze": .number(bronze), "median": .number(median),
            "rewards": .object(Dictionary(uniqueKeysWithValues: Medal.allCases.map { ($0.rawValue, JSONValue.number($0.reward)) })),
        ]
    }
}
