import Foundation
import Testing
import Wire

@testable import ReActAgent

@Suite("SampleSubmissionPolicy")
struct SampleSubmissionPolicyTests {
    private func context(last action: AgentAction?, observation: ObservationView?, stepsLeft: Int) -> DecisionContext {
        DecisionContext(
            turn: 1, messages: [], lastObservation: observation, lastAction: action,
            remaining: RemainingBudget(stepsLeft: stepsLeft, maxSteps: 10, secondsLeft: 600, timeLimitSeconds: 600, tokensLeft: nil, bestScore: nil),
            deadline: .now + .seconds(600))
    }

    @Test func asksForTheDataPathCopiesTheSampleFromThereAndFinishes() async throws {
        let policy = SampleSubmissionPolicy(scripts: try SolutionScripts(resources: try AgentResources.locate()))
        let first = await policy.decide(context(last: nil, observation: nil, stepsLeft: 10))
        #expect(first.action == .requestInfo(infoType: "data_path"))
        let info = ObservationView(["action": "request_info", "result": ["info": ["info_type": "data_path", "content": "/mnt/task-data"]]])
        let second = await policy.decide(context(last: first.action, observation: info, stepsLeft: 9))
        guard case .executeCode(let code)? = second.action else { Issue.record("expected execute_code"); return }
        #expect(code.contains("\"/mnt/task-data\"") && code.contains("sample_submission") && code.contains("submission.csv"))
        let third = await policy.decide(context(last: second.action, observation: nil, stepsLeft: 8))
        #expect(third.action == .finish)
        #expect(third.reply.contains("```json"))
    }

    @Test func withOneStepLeftItSubmitsAtOnceFromData() async throws {
        let policy = SampleSubmissionPolicy(scripts: try SolutionScripts(resources: try AgentResources.locate()))
        let first = await policy.decide(context(last: nil, observation: nil, stepsLeft: 1))
        guard case .executeCode(let code)? = first.action else { Issue.record("expected execute_code"); return }
        #expect(code.contains("\"/data\""))
    }
}
