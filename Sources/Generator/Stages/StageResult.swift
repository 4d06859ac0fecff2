import Wire

/// What one stage's run came to for a candidate: the outcome the pipeline records and the stage's own
/// report (stored with the transition).
public struct StageResult: Sendable {
    public var outcome: CandidatePipeline.Outcome
    public var detail: JSONValue

    public init(_ outcome: CandidatePipeline.Outcome, detail: JSONValue = .null) {
        self.outcome = outcome
        self.detail = detail
    }

    /// A failure with one defect.
    public static func failed(_ stage: GenerationStage, _ check: String, _ message: String, detail: JSONValue = .null) -> StageResult {
        StageResult(.failed([Defect(stage: stage, check: check, message: message)]), detail: detail)
    }
}
