import Foundation

/// Where and how to reach an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, SGLang, Ollama...).
public struct ChatEndpoint: Sendable {
    /// For example `http://127.0.0.1:8000/v1`; `/chat/completions` is appended.
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer`; never logged, printed or stored.
    public var apiKey: APIKey?
    public var temperature: Double
    /// `max_tokens` of each request (lowered when the episode's token budget is nearly spent).
    public var maxReplyTokens: Int
    /// Wall clock of one HTTP attempt.
    public var requestTimeoutSeconds: Double
    public var retry: RetryPolicy
    /// How the model writes its action (fenced block, JSON mode, tool calls): what this endpoint serves best.
    public var actionFormat: ActionFormat
    /// The `tool_choice` sent with the `tools` format.
    public var toolChoice: ToolChoice
    /// With the `json` format: send the action's JSON Schema in `response_format` too.
    public var sendsActionSchema: Bool

    public init(baseURL: String, model: String, apiKey: APIKey? = nil, temperature: Double = 0.2, maxReplyTokens: Int = 4096,
                requestTimeoutSeconds: Double = 120, retry: RetryPolicy = .standard, actionFormat: ActionFormat = .fenced,
                toolChoice: ToolChoice = .required, sendsActionSchema: Bool = false) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.temperature = temperature
        self.maxReplyTokens = maxReplyTokens
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.retry = retry
        self.actionFormat = actionFormat
        self.toolChoice = toolChoice
        self.sendsActionSchema = sendsActionSchema
    }

    /// The chat-completions URL.
    public var completionsURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/chat/completions") ? base : base + "/chat/completions"
    }

    /// Checks the settings before any request is made.
    public func validate() throws(LLMError) {
        let lower = baseURL.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw .invalidConfiguration("--base-url must start with http:// or https:// (got '\(baseURL)')")
        }
        guard !model.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalidConfiguration("--model is empty") }
        guard requestTimeoutSeconds > 0, requestTimeoutSeconds.isFinite else {
            throw .invalidConfiguration("the request timeout must be a positive number of seconds")
        }
        guard maxReplyTokens > 0 else { throw .invalidConfiguration("the reply token limit must be positive") }
        if case .function(let name) = toolChoice, !AgentAction.names.contains(name) {
            throw .invalidConfiguration("--tool-choice function:\(name) names no action (\(AgentAction.names.joined(separator: ", ")))")
        }
    }
}
