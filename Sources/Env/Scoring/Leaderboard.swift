/// MLE-Dojo's position score ("HumanRank") against a leaderboard of scores.
public enum Leaderboard {
    /// Sort best-first; p = 1 + index of the first entry the score ties or beats (N+1 if none);
    /// the result is (N − p + 1) / N, in [0, 1]. Nil for an empty board or a non-finite score.
    public static func positionScore(_ score: Double, board: [Double], higherIsBetter: Bool) -> Double? {
        guard !board.isEmpty, score.isFinite else { return nil }
        let sorted = board.sorted(by: higherIsBetter ? (>) : (<))
        let index = sorted.firstIndex { higherIsBetter ? score >= $0 : score <= $0 } ?? sorted.count
        let n = Double(sorted.count)
        return (n - Double(index + 1) + 1) / n
    }
}

import Foundation
