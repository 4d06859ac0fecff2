import Foundation
import Wire

/// What happened to one candidate: each stage's outcome and time, its defects, and where it went.
public struct CandidateReport: Sendable {
    /// One stage run, as the report shows it.
    public struct StageRun: Sendable {
        public var stage: GenerationStage
        public var attempt: Int
        public var outcome: String
        public var seconds: Double
    }

    public var id: String
    public var dataset: String
    public var objective: String?
    public var metric: String?
    public var verified: Bool
    public var stages: [StageRun]
    public var defects: [Defect]
    public var seconds: Double
    /// The agent's score in execution validation, and the random reference it beat.
    public var baseline: Double?
    public var random: Double?
    public var publishedAt: String?
    /// Each LLM agent run for this candidate (Designer, Refactor, Reviewer attempts): steps, tokens, cost, time.
    public var agents: [JSONValue] = []

    /// Passed the pre-refactor assertions at the first Design attempt.
    public var designFirstPass: Bool {
        stages.first { $0.stage == .assertionsPre }.map { $0.attempt == 1 && $0.outcome == "passed" } ?? false
    }

    /// The Refactor's first attempt carried the candidate through execution validation (nil when no
    /// Refactor ran: the built-in designer's packages need none).
    public var refactorFirstPass: Bool? {
        let refactors = stages.filter { $0.stage == .refactor && $0.outcome != "skipped" }
        guard !refactors.isEmpty else { return nil }
        let validated = stages.contains { $0.stage == .executionValidation && $0.outcome == "passed" }
        return refactors.count == 1 && validated
    }

    public var json: JSONValue {
        [
            "id": .string(id), "dataset": .string(dataset), "objective": .string(objective), "metric": .string(metric),
            "verified": .bool(verified), "seconds": .number((seconds * 100).rounded() / 100),
            "baseline": .number(baseline), "random": .number(random), "published_at": .string(publishedAt),
            "stages": .array(stages.map {
                ["stage": .string($0.stage.rawValue), "attempt": .number(Double($0.attempt)), "outcome": .string($0.outcome),
                 "seconds": .number(($0.seconds * 100).rounded() / 100)]
            }),
            "defects": .array(defects.map(\.json)),
            "agents": .array(agents),
        ]
    }
}
