import Testing

@testable import Wire

@Suite("Budget.parse")
struct BudgetTests {
    let defaults = Budget(maxSteps: 50, timeLimitSeconds: 3600, execTimeoutSeconds: 600)

    @Test(arguments: [nil, JSONValue.null, [:]])
    func absentBudgetGivesTheDefaults(_ value: JSONValue?) throws {
        #expect(try Budget.parse(value, defaults: defaults) == defaults)
    }

    @Test func serverDefaultMatchesTheProtocol() {
        #expect(Budget.serverDefault == defaults)
    }

    @Test func everyFieldOverrides() throws {
        let budget = try Budget.parse(["max_steps": 5, "time_limit_s": 90.5, "exec_timeout_s": 12], defaults: defaults)
        #expect(budget == Budget(maxSteps: 5, timeLimitSeconds: 90.5, execTimeoutSeconds: 12))
    }

    @Test func partialOverridesKeepTheOtherDefaults() throws {
        let budget = try Budget.parse(["max_steps": 3, "exec_timeout_s": nil], defaults: defaults)
        #expect(budget == Budget(maxSteps: 3, timeLimitSeconds: 3600, execTimeoutSeconds: 600))
        #expect(try Budget.parse(["max_steps": 1_000_000], defaults: defaults).maxSteps == 1_000_000)
        #expect(try Budget.parse(["max_steps": 7.0], defaults: defaults).maxSteps == 7)
    }

    @Test(arguments: [
        JSONValue.number(-1), 0, 2.5, "5", true, [5], ["n": 5], .number(.infinity), .number(.nan), 1_000_001, 1e300,
    ])
    func badMaxStepsIsRejected(_ value: JSONValue) {
        #expect(throws: EnvError.self) { try Budget.parse(["max_steps": value], defaults: defaults) }
        #expect(errorCode(of: ["max_steps": value]) == .badRequest)
    }

    @Test(arguments: ["time_limit_s", "exec_timeout_s"], [JSONValue.number(0), -3, "60", false, .number(-.infinity)])
    func badTimesAreRejected(_ key: String, _ value: JSONValue) {
        #expect(errorCode(of: .object([key: value])) == .badRequest)
    }

    @Test(arguments: [JSONValue.string("budget"), 5, [1, 2], true])
    func aBudgetThatIsNotAnObjectIsRejected(_ value: JSONValue) {
        #expect(errorCode(of: value) == .badRequest)
    }

    @Test func theMessageNamesTheField() {
        do {
            _ = try Budget.parse(["exec_timeout_s": -1], defaults: defaults)
            Issue.record("expected an error")
        } catch let error as EnvError {
            #expect(error.message.contains("exec_timeout_s"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theResetBudgetReadsBackAsSent() throws {
        let budget = Budget(maxSteps: 7, timeLimitSeconds: 90.5, execTimeoutSeconds: 12)
        #expect(budget.json == ["max_steps": 7, "time_limit_s": 90.5, "exec_timeout_s": 12])
        #expect(try Budget.parse(budget.json, defaults: defaults) == budget)
    }

    private func errorCode(of value: JSONValue) -> ErrorCode? {
        do {
            _ = try Budget.parse(value, defaults: defaults)
            return nil
        } catch let error as EnvError {
            return error.code
        } catch {
            return .internal
        }
    }
}
