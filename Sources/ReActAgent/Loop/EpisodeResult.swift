import Wire

/// How an episode went.
public struct EpisodeResult: Sendable {
    public var task: String
    public var session: String?
    public var systemPrompt = ""
    public var turns: [TurnRecord] = []
    public var endReason: EndReason?
    /// Why the episode never started (unknown task, reset refused, templates missing), if so.
    public var setupFailure: String?
    /// The `final` object of the close observation.
    public var final: JSONValue?
    public var closeError: String?
    public var stepsUsed = 0
    public var bestScore: Double?
    public var normalizedScore: Double?
    public var codeReachedServer = false
    public var gradedSubmissions = 0
    public var usage: TokenUsage = .zero
    public var costUSD = 0.0
    public var seconds = 0.0

    public init(task: String) { self.task = task }
}
