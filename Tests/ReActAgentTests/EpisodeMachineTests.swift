import Testing

@testable import ReActAgent

@Suite("EpisodeMachine")
struct EpisodeMachineTests {
    private func machine(steps: Int = 3, time: Double = 100, tokens: Int? = 1000, higher: Bool = true) -> EpisodeMachine {
        EpisodeMachine(limits: EpisodeLimits(maxSteps: steps, timeLimitSeconds: time, maxTokens: tokens), higherIsBetter: higher)
    }

    @Test func aNormalTurnGoesDecideActObserve() throws {
        var m = machine()
        #expect(try m.apply(.decide(elapsedSeconds: 1)) == .deciding)
        #expect(try m.apply(.decided(action: "execute_code", tokens: 120)) == .acting("execute_code"))
        #expect(try m.apply(.observed(stepsUsed: 1, score: 0.8, truncated: false)) == .awaitingDecision)
        #expect(m.stepsUsed == 1 && m.tokensUsed == 120 && m.turns == 1 && m.bestScore == 0.8)
        let remaining = m.remaining(elapsedSeconds: 10)
        #expect(remaining.stepsLeft == 2 && remaining.secondsLeft == 90 && remaining.tokensLeft == 880 && remaining.bestScore == 0.8)
    }

    @Test func finishEndsTheEpisode() throws {
        var m = machine()
        try m.apply(.decide(elapsedSeconds: 0))
        #expect(try m.apply(.decided(action: "finish", tokens: 5)) == .finished(.policyFinished))
        #expect(m.isFinished && m.endReason?.isFailure == false)
    }

    @Test func theStepBudgetEndsTheEpisodeAfterTheLastStep() throws {
        var m = machine(steps: 1)
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "request_info", tokens: 0))
        #expect(try m.apply(.observed(stepsUsed: 1, score: nil, truncated: true)) == .finished(.stepBudgetSpent))
    }

    @Test func timeAndTokenBudgetsAreCheckedBeforeDeciding() throws {
        var late = machine(time: 10)
        #expect(try late.apply(.decide(elapsedSeconds: 10)) == .finished(.timeBudgetSpent))
        var spent = machine(tokens: 100)
        try spent.apply(.decide(elapsedSeconds: 0))
        try spent.apply(.decided(action: "request_info", tokens: 150))
        try spent.apply(.observed(stepsUsed: 1, score: nil, truncated: false))
        #expect(try spent.apply(.decide(elapsedSeconds: 1)) == .finished(.tokenBudgetSpent))
        var unlimited = machine(tokens: nil)
        #expect(try unlimited.apply(.decide(elapsedSeconds: 0)) == .deciding)
        #expect(unlimited.remaining(elapsedSeconds: 0).tokensLeft == nil)
    }

    @Test func refusedActionsCountAgainstTheStepsButNotTheServerSteps() throws {
        var m = machine(steps: 2)
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "evaluate", tokens: 0))
        #expect(try m.apply(.rejected(code: "BAD_REQUEST")) == .awaitingDecision)
        #expect(m.stepsUsed == 0 && m.rejectedActions == 1 && m.stepsCharged == 1)
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "evaluate", tokens: 0))
        #expect(try m.apply(.rejected(code: "BAD_REQUEST")) == .finished(.stepBudgetSpent))
    }

    /// TIMEOUT and INTERNAL come after the step started: the server used it, and the agent charges it
    /// once, so its count equals the server's (it used to charge 3 for 2 server steps).
    @Test(arguments: ["TIMEOUT", "INTERNAL"])
    func aFailedStepIsChargedOnce(_ code: String) throws {
        var m = machine(steps: 5)
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "execute_code", tokens: 0))
        #expect(try m.apply(.rejected(code: code)) == .awaitingDecision)
        #expect(m.stepsUsed == 1 && m.rejectedActions == 0 && m.stepsCharged == 1)
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "request_info", tokens: 0))
        try m.apply(.observed(stepsUsed: 2, score: nil, truncated: false))
        #expect(m.stepsCharged == 2, "the server's 2 steps, charged once each")
    }

    @Test func budgetExhaustedAndLostSessionsEndTheEpisode() throws {
        var m = machine()
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "request_info", tokens: 0))
        #expect(try m.apply(.rejected(code: "BUDGET_EXHAUSTED")) == .finished(.serverBudgetSpent))
        var lost = machine()
        try lost.apply(.decide(elapsedSeconds: 0))
        try lost.apply(.decided(action: "request_info", tokens: 0))
        guard case .finished(.environmentFailed) = try lost.apply(.rejected(code: "NO_SUCH_SESSION")) else {
            Issue.record("expected an environment failure")
            return
        }
    }

    @Test func policyFailuresEndTheEpisodeWithTheirReason() throws {
        let cases: [(DecisionFailure, EndReason)] = [
            (.unparseable("bad"), .unparseableReply("bad")), (.model("HTTP 500"), .policyFailed("HTTP 500")),
            (.deadline, .timeBudgetSpent), (.tokenBudget, .tokenBudgetSpent),
        ]
        for (failure, reason) in cases {
            var m = machine()
            try m.apply(.decide(elapsedSeconds: 0))
            #expect(try m.apply(.decisionFailed(failure, tokens: 7)) == .finished(reason))
            #expect(m.tokensUsed == 7 && m.turns == 1)
        }
        #expect(EndReason.unparseableReply("x").isFailure && !EndReason.stepBudgetSpent.isFailure)
    }

    @Test func theBestScoreFollowsTheMetricsDirection() throws {
        var lower = machine(steps: 5, higher: false)
        for score in [0.5, 0.3, 0.4, Double.nan] {
            try lower.apply(.decide(elapsedSeconds: 0))
            try lower.apply(.decided(action: "execute_code", tokens: 0))
            try lower.apply(.observed(stepsUsed: nil, score: score, truncated: false))
        }
        #expect(lower.bestScore == 0.3 && lower.stepsUsed == 4)
    }

    @Test func eventsOutOfOrderAreTypedErrorsAndChangeNothing() throws {
        var m = machine()
        let before = m
        #expect(throws: EpisodeMachineError.self) { try m.apply(.decided(action: "finish", tokens: 1)) }
        #expect(throws: EpisodeMachineError.self) { try m.apply(.observed(stepsUsed: 1, score: 1, truncated: false)) }
        #expect(m == before)
        try m.apply(.decide(elapsedSeconds: 0))
        try m.apply(.decided(action: "finish", tokens: 0))
        #expect(throws: EpisodeMachineError.self) { try m.apply(.decide(elapsedSeconds: 0)) }
        m.abort(.environmentFailed("late"))
        #expect(m.endReason == .policyFinished)
    }
}
