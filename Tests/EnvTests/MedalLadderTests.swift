import Foundation
import Testing

@testable import Env

/// The medal ladder (protocol.md section 5, "Medals"): MLE-bench's thresholds from a leaderboard
/// (openai/mle-bench, mlebench/grade_helpers.py), else fixed fractions of the reference scores.
@Suite("MedalLadder")
struct MedalLadderTests {
    /// Scores 1...n, shuffled so the ladder cannot rely on the board's order.
    func board(_ n: Int) -> [Double] {
        var generator = SystemRandomNumberGenerator()
        return (1...n).map(Double.init).shuffled(using: &generator)
    }

    @Test(arguments: [
        (1, 1, 1, 1), (50, 5, 10, 20), (99, 9, 19, 39), (100, 10, 20, 40), (150, 10, 30, 60), (249, 10, 49, 99),
        (250, 10, 50, 100), (500, 11, 50, 100), (999, 11, 50, 100), (1000, 12, 50, 100), (5000, 20, 250, 500),
    ])
    func placesFollowMLEBench(_ n: Int, _ gold: Int, _ silver: Int, _ bronze: Int) {
        let places = MedalLadder.placesOfThresholds(teams: n)
        #expect(places.gold == gold && places.silver == silver && places.bronze == bronze, "\(n) teams: \(places)")
    }

    /// Boards of 50, 500 and 5000 entries, higher is better: the thresholds are the scores at those places.
    @Test(arguments: [(50, 46.0, 41.0, 31.0, 25.5), (500, 490.0, 451.0, 401.0, 250.5), (5000, 4981.0, 4751.0, 4501.0, 2500.5)])
    func higherIsBetterThresholds(_ n: Int, _ gold: Double, _ silver: Double, _ bronze: Double, _ median: Double) throws {
        let ladder = try #require(MedalLadder.leaderboard(board(n), higherIsBetter: true, name: "private"))
        #expect(ladder.gold == gold && ladder.silver == silver && ladder.bronze == bronze && ladder.median == median)
        #expect(ladder.source == .leaderboard && ladder.teams == n && ladder.board == "private")
        #expect(ladder.medal(gold) == .gold)  // a tie takes the medal, as MLE-bench's >=
        #expect(ladder.medal(gold - 0.5) == .silver)
        #expect(ladder.medal(silver) == .silver)
        #expect(ladder.medal(bronze) == .bronze)
        #expect(ladder.medal(bronze - 0.5) == .aboveMedian)
        #expect(ladder.medal(median) == .none)  // above the median is strict
        #expect(ladder.medal(0) == .none)
    }

    /// The same boards where lower is better (an error metric): the best entries are the smallest.
    @Test(arguments: [(50, 5.0, 10.0, 20.0, 25.5), (500, 11.0, 50.0, 100.0, 250.5), (5000, 20.0, 250.0, 500.0, 2500.5)])
    func lowerIsBetterThresholds(_ n: Int, _ gold: Double, _ silver: Double, _ bronze: Double, _ median: Double) throws {
        let ladder = try #require(MedalLadder.leaderboard(board(n), higherIsBetter: false))
        #expect(ladder.gold == gold && ladder.silver == silver && ladder.bronze == bronze && ladder.median == median)
        #expect(ladder.medal(1) == .gold && ladder.medal(gold) == .gold)
        #expect(ladder.medal(gold + 0.5) == .silver)
        #expect(ladder.medal(bronze) == .bronze)
        #expect(ladder.medal(bronze + 0.5) == .aboveMedian)
        #expect(ladder.medal(median) == .none && ladder.medal(Double(n + 1)) == .none)
    }

    @Test func oddBoardMedianAndNonFiniteEntries() throws {
        let ladder = try #require(MedalLadder.leaderboard([3, .nan, 1, 2, .infinity], higherIsBetter: true))
        #expect(ladder.teams == 3 && ladder.median == 2 && ladder.gold == 3)
        #expect(MedalLadder.leaderboard([], higherIsBetter: true) == nil)
        #expect(MedalLadder.leaderboard([.nan], higherIsBetter: true) == nil)
        #expect(ladder.medal(.nan) == .none && ladder.medal(.infinity) == .none)
    }

    @Test func referenceFallbackHigherIsBetter() throws {
        // median = baseline 0.6; bronze, silver, gold at 0.5, 0.75, 0.9 of the way to best_known 1.0.
        let ladder = try #require(MedalLadder.references(baseline: 0.6, random: 0.2, bestKnown: 1.0, higherIsBetter: true))
        #expect(ladder.source == .referenceScores && ladder.teams == nil)
        #expect(ladder.median == 0.6)
        #expect(ladder.bronze.isApproximatelyEqual(to: 0.8) && ladder.silver.isApproximatelyEqual(to: 0.9))
        #expect(ladder.gold.isApproximatelyEqual(to: 0.96))
        #expect(ladder.medal(1.0) == .gold && ladder.medal(0.92) == .silver && ladder.medal(0.85) == .bronze)
        #expect(ladder.medal(0.7) == .aboveMedian && ladder.medal(0.6) == .none && ladder.medal(0.2) == .none)
    }

    @Test func referenceFallbackLowerIsBetter() throws {
        let ladder = try #require(MedalLadder.references(baseline: 100, random: 500, bestKnown: 20, higherIsBetter: false))
        #expect(ladder.median == 100 && ladder.bronze == 60 && ladder.silver == 40 && ladder.gold == 28)
        #expect(ladder.medal(20) == .gold && ladder.medal(28) == .gold && ladder.medal(30) == .silver)
        #expect(ladder.medal(60) == .bronze && ladder.medal(99) == .aboveMedian && ladder.medal(100) == .none)
    }

    @Test func referenceFallbackEdges() throws {
        // No baseline: random is the median threshold.
        let fromRandom = try #require(MedalLadder.references(baseline: nil, random: 0, bestKnown: 1, higherIsBetter: true))
        #expect(fromRandom.median == 0 && fromRandom.bronze == 0.5 && fromRandom.gold == 0.9)
        // Baseline equal to best_known (penguins-species): every threshold is that score.
        let flat = try #require(MedalLadder.references(baseline: 1, random: 0.36, bestKnown: 1, higherIsBetter: true))
        #expect(flat.medal(1) == .gold && flat.medal(0.99) == .none)
        // No best_known, nothing to start from, or a best_known worse than the baseline: no ladder.
        #expect(MedalLadder.references(baseline: 0.5, random: 0, bestKnown: nil, higherIsBetter: true) == nil)
        #expect(MedalLadder.references(baseline: nil, random: nil, bestKnown: 1, higherIsBetter: true) == nil)
        #expect(MedalLadder.references(baseline: 0.9, random: 0, bestKnown: 0.8, higherIsBetter: true) == nil)
        #expect(MedalLadder.references(baseline: 10, random: 50, bestKnown: 20, higherIsBetter: false) == nil)
    }

    @Test func aLeaderboardWinsOverReferencesAndPrivateOverPublic() throws {
        let calculator = ScoreCalculator(higherIsBetter: true, leaderboards: ["public": board(10), "private": board(50)],
                                         random: 0, bestKnown: 1, baseline: 0.5)
        let ladder = try #require(calculator.medalLadder)
        #expect(ladder.board == "private" && ladder.teams == 50 && ladder.gold == 46)
        let publicOnly = ScoreCalculator(higherIsBetter: true, leaderboards: ["public": board(10)], random: 0, bestKnown: 1)
        #expect(publicOnly.medalLadder?.board == "public")
        let references = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: 0, bestKnown: 1, baseline: 0.5)
        #expect(references.medalLadder?.source == .referenceScores && references.medalLadder?.median == 0.5)
        #expect(ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: nil, bestKnown: nil).medalLadder == nil)
    }

    @Test func eachMedalsReward() {
        #expect(Medal.gold.reward == 1 && Medal.silver.reward == 0.75 && Medal.bronze.reward == 0.5)
        #expect(Medal.aboveMedian.reward == 0.25 && Medal.none.reward == 0)
        // Reference ladder 0 → 1: bronze 0.5, silver 0.75, gold 0.9.
        let calculator = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: 0, bestKnown: 1)
        for (raw, medal) in [(0.95, Medal.gold), (0.8, .silver), (0.6, .bronze), (0.1, .aboveMedian), (-0.2, .none)] {
            #expect(calculator.medal(raw) == medal)
            #expect(calculator.reward(.medal, score: SubmissionScore(raw: raw), previousBest: nil) == medal.reward)
            // Every graded submission pays its own medal, whatever the best before it.
            #expect(calculator.reward(.medal, score: SubmissionScore(raw: raw), previousBest: SubmissionScore(raw: 1)) == medal.reward)
        }
        let unranked = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: nil, bestKnown: nil)
        #expect(unranked.medal(0.9) == nil)
        #expect(unranked.reward(.medal, score: SubmissionScore(raw: 0.9), previousBest: nil) == 0)
    }
}

@Suite("Invalid-submission penalty")
struct InvalidPenaltyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let calculator = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: 0, bestKnown: 1)

    func state(penalty: Double, mode: RewardMode = .medal) -> SessionState {
        SessionState(sessionID: "s1", taskID: "task", budget: Budget(maxSteps: 5, timeLimitSeconds: 3600, execTimeoutSeconds: 60),
                     scoreSplit: .public, rewardMode: mode, createdAt: now, invalidPenalty: penalty)
    }

    @Test func parseBounds() throws {
        #expect(try InvalidPenalty.parse(nil) == 0)
        #expect(try InvalidPenalty.parse(.null) == 0)
        #expect(try InvalidPenalty.parse(.number(0)) == 0)
        #expect(try InvalidPenalty.parse(.number(0.1)) == 0.1)
        #expect(try InvalidPenalty.parse(.number(1)) == 1)
        for bad: JSONValue in [.number(-0.01), .number(1.01), .number(-1), .number(1e300), .number(.nan), .number(.infinity),
                               .string("0.1"), .bool(true), .array([]), .object([:])] {
            #expect(errorCode { _ = try InvalidPenalty.parse(bad) } == .badRequest, "\(bad)")
        }
    }

    @Test func aRejectedSubmissionPaysThePenalty() throws {
        var state = state(penalty: 0.1)
        _ = try state.begin(.evaluate, at: now)
        #expect(state.finish(score: nil, rejected: true, calculator: calculator) == -0.1)
        #expect(state.totalReward == -0.1 && state.best == nil && state.current == nil)
        // A missing submission or a step that grades nothing is not rejected: 0.
        _ = try state.begin(.executeCode, at: now)
        #expect(state.finish(score: nil, calculator: calculator) == 0)
        // A graded one pays by the mode (medal: 0.95 is gold on the 0 → 1 reference ladder).
        _ = try state.begin(.evaluate, at: now)
        #expect(state.finish(score: SubmissionScore(raw: 0.95), rejected: false, calculator: calculator) == 1)
        #expect(state.totalReward.isApproximatelyEqual(to: 0.9))
    }

    @Test func theDefaultPenaltyChangesNothing() throws {
        for mode in RewardMode.allCases {
            var state = state(penalty: 0, mode: mode)
            _ = try state.begin(.evaluate, at: now)
            let reward = state.finish(score: nil, rejected: true, calculator: calculator)
            #expect(reward == 0 && reward.sign == .plus && state.totalReward == 0)
        }
        #expect(SessionState(sessionID: "s", taskID: "t", budget: Budget(maxSteps: 1, timeLimitSeconds: 1, execTimeoutSeconds: 1),
                             scoreSplit: .public, rewardMode: .position, createdAt: now).invalidPenalty == 0)
    }

    /// Sessions stored before the penalty existed (no key in the stored state) load with penalty 0; new ones keep it.
    @Test func storedStatesRoundTrip() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let data = try encoder.encode(state(penalty: 0.25))
        #expect(try decoder.decode(SessionState.self, from: data).invalidPenalty == 0.25)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.removeValue(forKey: "storedInvalidPenalty") != nil)
        let old = try JSONSerialization.data(withJSONObject: object)
        #expect(try decoder.decode(SessionState.self, from: old).invalidPenalty == 0)
    }
}
