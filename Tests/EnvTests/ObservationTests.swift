import EnvTesting
import Foundation
import Testing

@testable import Env

/// The server builds observations and clients read them with Wire's `ObservationView`: both must agree
/// on every key, so what one writes the other reads back.
@Suite("Observation: built by the server, read back by ObservationView")
struct ObservationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let calculator = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: 0, bestKnown: 1)

    @Test func everyFieldTheViewReadsComesBack() throws {
        var state = SessionState(sessionID: "s1", taskID: "task",
                                 budget: Budget(maxSteps: 5, timeLimitSeconds: 100, execTimeoutSeconds: 30),
                                 scoreSplit: .public, rewardMode: .raw, createdAt: now)
        _ = try state.begin(.executeCode, at: now)
        let reward = state.finish(score: SubmissionScore(raw: 0.75, normalized: 0.75), calculator: calculator)
        let outcome = StepOutcome(success: true, feedback: "ran", result: ["execution": ["status": "SUCCESS"]])
        let view = ObservationView(Observation.build(action: .executeCode, state: state, outcome: outcome, reward: reward,
                                                     now: now.addingTimeInterval(10.0004)))
        #expect(view.action == "execute_code" && view.succeeded && view.feedback == "ran")
        #expect(view.reward == reward && !view.terminated && !view.truncated)
        #expect(view.currentRawScore == 0.75 && view.bestRawScore == 0.75)
        #expect(view.stepsUsed == 1 && view.stepsLeft == 4)
        #expect(view.timeLeftSeconds == 90 && view.execTimeoutSeconds == 30)
        #expect(view.executionStatus == "SUCCESS")
    }

    /// One table of keys: the builder writes exactly the required ones, and the schema names the same.
    @Test func theKeysAreTheSchemasAndTheBuilderWritesThemAll() throws {
        let state = SessionState(sessionID: "s1", taskID: "task", budget: Budget(maxSteps: 5, timeLimitSeconds: 100, execTimeoutSeconds: 30),
                                 scoreSplit: .public, rewardMode: .raw, createdAt: now)
        let built = Observation.build(action: .requestInfo, state: state, outcome: StepOutcome(success: true, feedback: "", result: [:]),
                                      reward: 0, now: now)
        let required = Set(ObservationKey.required.map(\.rawValue))
        #expect(Set(built.objectValue?.keys ?? [:].keys) == required)
        let url = RepositoryPaths.root.appending(path: "protocol/schemas/observation.json")
        let schema = try JSONValue.decode(try Data(contentsOf: url))
        #expect(Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []) == required)
        #expect(Set(schema["properties"]?.objectValue?.keys ?? [:].keys) == Set(ObservationKey.allCases.map(\.rawValue)))
    }
}
