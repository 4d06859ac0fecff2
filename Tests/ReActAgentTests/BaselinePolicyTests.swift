import Env
import Foundation
import Testing

@testable import ReActAgent

@Suite("BaselinePolicy")
struct BaselinePolicyTests {
    private func context(turn: Int, last action: AgentAction?, observation: ObservationView?, stepsLeft: Int) -> DecisionContext {
        DecisionContext(
            turn: turn, messages: [], lastObservation: observation, lastAction: action,
            remaining: RemainingBudget(stepsLeft: stepsLeft, maxSteps: 10, secondsLeft: 600, timeLimitSeconds: 600,
                                       tokensLeft: nil, bestScore: nil),
            deadline: .now + .seconds(600))
    }

    private func action(_ decision: PolicyDecision) -> AgentAction? {
        if case .action(let action, _) = decision.outcome { return action }
        return nil
    }

    /// A request the server refused (no observation: e.g. a task without description.txt) counts as
    /// tried: the policy moves on instead of asking again until the budget is gone.
    @Test func aRefusedRequestIsNotAskedAgain() async throws {
        let policy = BaselinePolicy(scripts: try SolutionScripts(resources: try AgentResources.locate()))
        var last: AgentAction?
        var asked: [String] = []
        for turn in 1...10 {
            let decision = await policy.decide(context(turn: turn, last: last, observation: nil, stepsLeft: 11 - turn))
            guard let next = action(decision) else { break }
            if case .requestInfo(let infoType) = next { asked.append(infoType) }
            if next == .finish { break }
            last = next
        }
        #expect(asked == BaselinePolicy.readingOrder, "each info type asked once, refused or not")
        let tried = await policy.tried.map(\.variant)
        #expect(tried == [.linear, .boosting, .fallback], "failed runs count as tried; the fallback follows")
    }
}
