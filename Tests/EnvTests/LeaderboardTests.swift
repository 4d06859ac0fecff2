import Testing

@testable import Env

@Suite("Leaderboard")
struct LeaderboardTests {
    // Given unsorted on purpose: positionScore sorts best-first itself.
    let higherBoard = [0.7, 0.9, 0.6, 0.8]
    let lowerBoard = [30.0, 10, 40, 20]

    @Test(arguments: [
        (0.95, 1.0),  // better than all
        (0.9, 1.0),  // ties the best
        (0.85, 0.75),  // between 1st and 2nd: p = 2 → (4 − 2 + 1) / 4
        (0.8, 0.75),  // ties the 2nd
        (0.65, 0.25),
        (0.6, 0.25),  // ties the last
        (0.5, 0.0),  // worse than all
    ])
    func higherIsBetter(_ score: Double, _ expected: Double) {
        #expect(Leaderboard.positionScore(score, board: higherBoard, higherIsBetter: true) == expected)
    }

    @Test(arguments: [
        (5.0, 1.0), (10.0, 1.0), (15.0, 0.75), (30.0, 0.5), (35.0, 0.25), (40.0, 0.25), (41.0, 0.0),
    ])
    func lowerIsBetter(_ score: Double, _ expected: Double) {
        #expect(Leaderboard.positionScore(score, board: lowerBoard, higherIsBetter: false) == expected)
    }

    @Test func tiesOnTheBoardRankAtTheFirstOfThem() {
        let board = [1.0, 0.5, 0.5, 0.5, 0.0]
        #expect(Leaderboard.positionScore(0.5, board: board, higherIsBetter: true) == 0.8)  // p = 2
        #expect(Leaderboard.positionScore(0.4, board: board, higherIsBetter: true) == 0.2)  // p = 5
    }

    @Test func emptyBoardOrNonFiniteScoreGivesNil() {
        #expect(Leaderboard.positionScore(0.5, board: [], higherIsBetter: true) == nil)
        #expect(Leaderboard.positionScore(.nan, board: higherBoard, higherIsBetter: true) == nil)
        #expect(Leaderboard.positionScore(.infinity, board: higherBoard, higherIsBetter: true) == nil)
    }

    @Test func singleEntryBoard() {
        #expect(Leaderboard.positionScore(2, board: [1], higherIsBetter: true) == 1)
        #expect(Leaderboard.positionScore(0, board: [1], higherIsBetter: true) == 0)
    }
}
