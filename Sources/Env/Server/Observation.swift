import Foundation

/// What one action did, before it is turned into an observation.
struct StepOutcome: Sendable {
    var success: Bool
    var feedback: String
    /// The structured record: `info`, `execution`, `submission`.
    var result: [String: JSONValue]
    /// A graded, valid submission's scores.
    var score: SubmissionScore?
    /// A submission was found and graded but refused (status FAILED): it pays the session's invalid penalty.
    var rejected = false
    /// Files stored for the step (code, logs, submission), relative to the runs folder.
    var artifacts: JSONValue?
}

/// Builds observations: MLE-Dojo's keys, so its agents work unchanged, plus ours.
enum Observation {
    static func build(action: Action, state: SessionState, outcome: StepOutcome, reward: Double, now: Date,
                      terminated: Bool = false) -> JSONValue {
        let status: JSONValue = outcome.success ? "SUCCESS" : "FAILED"
        let fields: [ObservationKey: JSONValue] = [
            .action: .string(action.rawValue),
            .actionStatus: status,
            .feedback: ["base": ["feedback_status": status, "feedback": .string(outcome.feedback)]],
            .currentRawScore: .number(state.current?.raw),
            .currentPositionScore: .number(state.current?.positionOrNormalized),
            .bestRawScore: .number(state.best?.raw),
            .bestPositionScore: .number(state.best?.positionOrNormalized),
            .historySummary: .string(state.historySummary),
            .reward: .number(reward),
            .terminated: .bool(terminated || state.isClosed),
            .truncated: .bool(state.isTruncated(at: now)),
            .budget: budget(state, now: now),
            .result: .object(outcome.result),
        ]
        return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.key.rawValue, $0.value) }))
    }

    static func budget(_ state: SessionState, now: Date) -> JSONValue {
        BudgetStatus(stepsUsed: state.stepsUsed, stepsLeft: state.stepsLeft, maxSteps: state.budget.maxSteps,
                     timeLeftSeconds: state.timeLeft(at: now), timeLimitSeconds: state.budget.timeLimitSeconds,
                     execTimeoutSeconds: state.budget.execTimeoutSeconds).json
    }
}
