import Testing

@testable import Wire

@Suite("BudgetStatus")
struct BudgetStatusTests {
    @Test func theBudgetObjectHasTheProtocolKeysAndMillisecondTime() {
        let status = BudgetStatus(stepsUsed: 2, stepsLeft: 3, maxSteps: 5, timeLeftSeconds: 12.34567, timeLimitSeconds: 60,
                                  execTimeoutSeconds: 10)
        #expect(status.json == ["steps_used": 2, "steps_left": 3, "max_steps": 5, "time_left_s": 12.346, "time_limit_s": 60,
                                 "exec_timeout_s": 10])
    }
}
