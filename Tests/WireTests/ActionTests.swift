import EnvTesting
import Foundation
import Testing

@testable import Wire

@Suite("Action")
struct ActionTests {
    @Test(arguments: Action.allCases)
    func everyActionRoundTripsItsWireName(_ action: Action) throws {
        #expect(Action(rawValue: action.rawValue) == action)
        #expect(try Action.named(action.rawValue) == action)
        #expect("\(action)" == action.rawValue)
    }

    @Test(arguments: ["launch_missiles", "HEALTH", "Reset", " health", "health ", "registerTask", "finish", "listTasks"])
    func anUnknownNameIsUnknownAction(_ name: String) {
        #expect(Action(rawValue: name) == nil)
        #expect(throws: EnvError(.unknownAction, "unknown action '\(name)'; known: health, list_tasks, reset, request_info, "
            + "validate_code, execute_code, evaluate, get_history, close, cancel, register_task")) { try Action.named(name) }
    }

    @Test func theStepActionsAreThoseProtocolSectionFiveNames() {
        #expect(Action.allCases.filter(\.spendsStep) == [.requestInfo, .validateCode, .executeCode, .evaluate])
        #expect(Action.allCases.filter(\.runsCode) == [.validateCode, .executeCode])
    }

    /// protocol.md, section 4.10: register_task is the one admin action (the public endpoint refuses it).
    @Test func registerTaskIsTheOneAdminAction() {
        #expect(Action.allCases.filter(\.isAdminOnly) == [.registerTask])
        #expect(Action.registerTask.rawValue == "register_task" && !Action.registerTask.spendsStep)
    }

    /// request.json states the params of each action by name: it names exactly these actions.
    @Test func theRequestSchemaNamesEveryAction() throws {
        let schema = try String(contentsOf: RepositoryPaths.root.appending(path: "protocol/schemas/request.json"), encoding: .utf8)
        let named = Set(schema.matches(of: /"const": "([a-z_]+)"/).map { String($0.output.1) })
        #expect(named == Set(Action.allCases.map(\.rawValue)))
    }

    @Test func anUnknownActionIsRefusedWithTheRequestID() throws {
        guard case .failure(let failure) = Request.parse(Data(#"{"v":1,"id":"ua","action":"launch_missiles"}"#.utf8)) else {
            Issue.record("an unknown action parsed")
            return
        }
        #expect(failure.id == "ua" && failure.error.code == .unknownAction)
    }

    @Test func otherEnvelopeFaultsComeBeforeAnUnknownAction() throws {
        guard case .failure(let failure) = Request.parse(Data(#"{"id":"x","action":"nope","session":5}"#.utf8)) else {
            Issue.record("a bad session parsed")
            return
        }
        #expect(failure.error.code == .badRequest)
    }
}
