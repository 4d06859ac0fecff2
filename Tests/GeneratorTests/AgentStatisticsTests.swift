import Foundation
import Testing
import Wire

@testable import Generator

/// The paper's statistics from agent runs: per-role totals, step spreads, costs, first-pass rates.
@Suite("AgentStatistics")
struct AgentStatisticsTests {
    func run(_ role: String, steps: Int, end: String = "finished", cost: Double? = 0.01) -> JSONValue {
        ["role": .string(role), "end": .string(end), "steps": .number(Double(steps)), "prompt_tokens": 100,
         "completion_tokens": 10, "cost_usd": .number(cost), "seconds": 2]
    }

    func candidate(_ stages: [(GenerationStage, Int, String)], agents: [JSONValue]) -> CandidateReport {
        var report = CandidateReport(id: "c", dataset: "d", objective: nil, metric: nil, verified: true,
                                     stages: stages.map { .init(stage: $0.0, attempt: $0.1, outcome: $0.2, seconds: 1) },
                                     defects: [], seconds: 1)
        report.agents = agents
        return report
    }

    @Test func rolesAreTotalledWithTheirStepSpread() {
        let first = candidate([(.refactor, 1, "passed"), (.executionValidation, 1, "passed")],
                              agents: [run("designer", steps: 8), run("refactor", steps: 15)])
        let second = candidate([(.refactor, 1, "passed"), (.executionValidation, 1, "failed"), (.refactor, 2, "passed"),
                                (.executionValidation, 2, "passed")],
                               agents: [run("designer", steps: 26), run("refactor", steps: 20, end: "step_budget"),
                                        run("refactor", steps: 13)])
        var dataset = DatasetReport(dataset: "d", candidates: [first, second], skipped: [], failure: nil, designSeconds: 1, seconds: 10)
        dataset.brainstorm = run("brainstormer", steps: 5)
        let summary = GenerationSummary(datasets: [dataset], wallSeconds: 10)
        let statistics = summary.agents
        #expect(statistics.roles["refactor"]?.runs == 3 && statistics.roles["refactor"]?.finished == 2)
        let spread = statistics.roles["designer"]?.stepSpread
        #expect(spread?.min == 8 && spread?.max == 26)
        #expect(statistics.totalTokens == 6 * 110)
        #expect(abs((statistics.costUSD ?? 0) - 0.06) < 1e-9)
        #expect(summary.refactorFirstPassRate == 0.5)
        #expect(abs((summary.costPerVerifiedTask ?? 0) - 0.03) < 1e-9)
        #expect(summary.markdown.contains("| refactor | 3 | 2 | 13/15/20/20 |"))
    }

    @Test func anUnpricedRunLeavesTheCostUnknown() {
        let dataset = DatasetReport(dataset: "d", candidates: [candidate([], agents: [run("designer", steps: 3, cost: nil)])],
                                    skipped: [], failure: nil, designSeconds: 0, seconds: 1)
        let summary = GenerationSummary(datasets: [dataset], wallSeconds: 1)
        #expect(summary.agents.costUSD == nil && summary.costPerVerifiedTask == nil)
        #expect(summary.refactorFirstPassRate == nil)  // no Refactor ran
    }
}
