import Foundation
import Testing

@testable import Env

/// The code of the `EnvError` a call threw (`.internal` for any other error), or nil if it succeeded.
func errorCode(_ body: () throws -> Void) -> ErrorCode? {
    do { try body(); return nil } catch let error as EnvError { return error.code } catch { return .internal }
}

@Suite("SessionState")
struct SessionStateTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let higher = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: 0, bestKnown: 1)
    let lower = ScoreCalculator(higherIsBetter: false, leaderboards: [:], random: 100, bestKnown: 0)

    func state(steps: Int = 5, seconds: Double = 3600, createdAt: Date? = nil, mode: RewardMode = .position) -> SessionState {
        SessionState(sessionID: "s1", taskID: "task", budget: Budget(maxSteps: steps, timeLimitSeconds: seconds, execTimeoutSeconds: 60),
                     scoreSplit: .public, rewardMode: mode, createdAt: createdAt ?? now)
    }

    func score(_ raw: Double) -> SubmissionScore { SubmissionScore(raw: raw, normalized: raw) }

    @Test func startsIdleWithTheWholeBudget() {
        let state = state()
        #expect(state.phase == .idle)
        #expect(state.stepsLeft == 5 && state.stepsUsed == 0)
        #expect(state.timeLeft(at: now) == 3600)
        #expect(!state.isTruncated(at: now))
        #expect(state.best == nil && state.current == nil)
        #expect(state.historySummary == "Total Actions: 0, Last Action: none")
    }

    @Test func stepActionBeginsRunningAndFinishReturnsToIdle() throws {
        var state = state()
        #expect(try state.begin(.executeCode, at: now) == 1)
        #expect(state.phase == .running(action: .executeCode))
        #expect(state.isRunning && state.stepsUsed == 1 && state.stepsLeft == 4)
        #expect(state.finish(score: nil, calculator: higher) == 0)
        #expect(state.phase == .idle)
        #expect(state.historySummary == "Total Actions: 1, Last Action: execute_code")
    }

    @Test func everyStepActionSpendsAStep() throws {
        var state = state(steps: 10)
        for action in Action.allCases.filter(\.spendsStep) {
            _ = try state.begin(action, at: now)
            state.finish(score: nil, calculator: higher)
        }
        #expect(state.stepsUsed == Action.allCases.filter(\.spendsStep).count)
    }

    @Test func anyActionWhileRunningIsBusy() throws {
        var state = state()
        _ = try state.begin(.validateCode, at: now)
        for action in [Action.executeCode, .evaluate, .close, .requestInfo] {
            #expect(errorCode { _ = try state.begin(action, at: now) } == .busy)
        }
        #expect(state.stepsUsed == 1)
        #expect(state.phase == .running(action: .validateCode))
    }

    @Test func sequenceNumbersCountEveryBegunAction() throws {
        var state = state()
        #expect(try state.begin(.reset, at: now) == 1)
        #expect(!state.isRunning)  // not a step action
        #expect(try state.begin(.requestInfo, at: now) == 2)
        state.finish(score: nil, calculator: higher)
        #expect(try state.begin(.evaluate, at: now) == 3)
        #expect(errorCode { _ = try state.begin(.evaluate, at: now) } == .busy)  // refused: no number spent
        state.finish(score: nil, calculator: higher)
        #expect(try state.begin(.close, at: now) == 4)
        #expect(state.nextSequence == 5)
        #expect(state.stepsUsed == 2)
    }

    @Test func budgetExhaustedWhenStepsRunOut() throws {
        var state = state(steps: 2)
        for _ in 0..<2 {
            _ = try state.begin(.requestInfo, at: now)
            state.finish(score: nil, calculator: higher)
        }
        #expect(state.stepsLeft == 0 && state.isTruncated(at: now))
        #expect(errorCode { _ = try state.begin(.executeCode, at: now) } == .budgetExhausted)
        #expect(state.stepsUsed == 2 && state.nextSequence == 3 && !state.isRunning)
        #expect(try state.begin(.close, at: now) == 3)  // closing is still possible
    }

    @Test func budgetExhaustedWhenTimeRunsOut() {
        var state = state(seconds: 60, createdAt: now.addingTimeInterval(-61))
        #expect(state.timeLeft(at: now) == 0)
        #expect(state.isTruncated(at: now))
        #expect(errorCode { _ = try state.begin(.evaluate, at: now) } == .budgetExhausted)
        #expect(state.stepsUsed == 0)
        let fresh = self.state(seconds: 60, createdAt: now.addingTimeInterval(-30))
        #expect(fresh.timeLeft(at: now) == 30)
    }

    @Test func closedSessionsRefuseStepsButAllowClose() throws {
        var state = state()
        state.close()
        #expect(state.isClosed)
        for action in [Action.requestInfo, .executeCode, .evaluate, .validateCode] {
            #expect(errorCode { _ = try state.begin(action, at: now) } == .sessionClosed)
        }
        #expect(try state.begin(.close, at: now) == 1)
        #expect(state.isClosed && state.stepsUsed == 0)
    }

    @Test func bestOnlyImprovesWhenHigherIsBetter() {
        var state = state()
        for raw in [0.5, 0.3, 0.7, 0.6] {
            state.finish(score: score(raw), calculator: higher)
        }
        #expect(state.best?.raw == 0.7)
        #expect(state.current?.raw == 0.6)
    }

    @Test func bestOnlyImprovesWhenLowerIsBetter() {
        var state = state()
        for raw in [10.0, 12, 8, 9] {
            state.finish(score: SubmissionScore(raw: raw), calculator: lower)
        }
        #expect(state.best?.raw == 8)
        #expect(state.current?.raw == 9)
    }

    @Test func nanNeverBecomesBest() {
        var state = state()
        state.finish(score: score(.nan), calculator: higher)
        #expect(state.best == nil)
        state.finish(score: score(0.4), calculator: higher)
        state.finish(score: score(.nan), calculator: higher)
        state.finish(score: score(.infinity), calculator: higher)
        #expect(state.best?.raw == 0.4)
    }

    @Test func rewardsAccumulate() throws {
        var state = state(mode: .normalized)
        _ = try state.begin(.evaluate, at: now)
        #expect(state.finish(score: score(0.25), calculator: higher) == 0.25)
        _ = try state.begin(.evaluate, at: now)
        #expect(state.finish(score: score(0.5), calculator: higher) == 0.5)
        #expect(state.totalReward == 0.75)
    }

    @Test func recoverAfterRestartTurnsRunningIntoIdle() throws {
        var running = state()
        _ = try running.begin(.executeCode, at: now)
        running.recoverAfterRestart()
        #expect(running.phase == .idle)
        #expect(running.stepsUsed == 1)  // the step stays spent

        var closed = state()
        closed.close()
        closed.recoverAfterRestart()
        #expect(closed.phase == .closed)
    }

    @Test(arguments: [false, true])
    func codableRoundTrip(running: Bool) throws {
        var state = state(mode: .delta)
        _ = try state.begin(.evaluate, at: now)
        state.finish(score: SubmissionScore(raw: 0.8, position: 0.5, normalized: 0.7, full: 0.81, publicSlice: 0.8, privateSlice: 0.79),
                     calculator: higher)
        if running { _ = try state.begin(.executeCode, at: now) } else { state.close() }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let decoded = try decoder.decode(SessionState.self, from: encoder.encode(state))
        #expect(decoded == state)
        #expect(decoded.best?.privateSlice == 0.79)
    }
}
