import Wire

/// One thing a stage found wrong with a candidate: the check or probe that found it and why. A failing
/// stage sends its defects back to the stage that can mend them.
public struct Defect: Sendable, Equatable, Codable {
    public var stage: GenerationStage
    /// The named check, probe or step (e.g. `no_answer_leak`, `single_feature`, `verdict`).
    public var check: String
    public var message: String

    public init(stage: GenerationStage, check: String, message: String) {
        self.stage = stage
        self.check = check
        self.message = message
    }

    public var json: JSONValue {
        ["stage": .string(stage.rawValue), "check": .string(check), "message": .string(message)]
    }
}
