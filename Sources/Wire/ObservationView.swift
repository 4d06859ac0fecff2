/// Typed, read-only access to an observation (protocol.md section 7), for clients. Keys the server did
/// not send, or sent with the wrong type, read as nil.
public struct ObservationView: Sendable, Equatable {
    public let json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public var action: String { json[.action]?.stringValue ?? "unknown" }
    public var succeeded: Bool { json[.actionStatus]?.stringValue == "SUCCESS" }
    public var feedback: String { json[.feedback]?["base"]?["feedback"]?.stringValue ?? "" }
    public var reward: Double { json[.reward]?.numberValue ?? 0 }
    public var truncated: Bool { json[.truncated]?.boolValue ?? false }
    public var terminated: Bool { json[.terminated]?.boolValue ?? false }
    public var currentRawScore: Double? { json[.currentRawScore]?.numberValue }
    public var bestRawScore: Double? { json[.bestRawScore]?.numberValue }

    public var stepsUsed: Int? { json[.budget]?[BudgetStatus.Key.stepsUsed]?.integerValue }
    public var stepsLeft: Int? { json[.budget]?[BudgetStatus.Key.stepsLeft]?.integerValue }
    public var timeLeftSeconds: Double? { json[.budget]?[BudgetStatus.Key.timeLeft]?.numberValue }
    public var execTimeoutSeconds: Double? { json[.budget]?[BudgetStatus.Key.execTimeout]?.numberValue }

    public var result: JSONValue { json[.result] ?? [:] }
    public var info: JSONValue? { result["info"] }
    public var infoContent: JSONValue? { info?["content"] }
    public var execution: JSONValue? { result["execution"] }
    public var submission: JSONValue? { result["submission"] }
    public var final: JSONValue? { json[.final] }

    public var executionStatus: String? { execution?["status"]?.stringValue }
    public var submissionStatus: String? { submission?["status"]?.stringValue }
    /// The raw score of this step's graded submission (nil when nothing valid was graded).
    public var submissionScore: Double? {
        submissionStatus == "SUCCESS" ? submission?["raw_score"]?.numberValue : nil
    }
    public var submissionNormalizedScore: Double? { submission?["normalized_score"]?.numberValue }
}
