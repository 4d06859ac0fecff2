import Foundation
import Wire

/// Everything one `mledojo agent` invocation needs, already validated.
public struct AgentSettings: Sendable {
    /// Which policy plays.
    public enum PolicyChoice: Sendable {
        case baseline
        case llm(ChatEndpoint)
        /// A reference player: submits the task's sample submission as is, then finishes.
        case sample

        public var name: String {
            switch self {
            case .baseline: "baseline"
            case .llm: "llm"
            case .sample: "sample"
            }
        }
    }

    public var task: String
    public var policy: PolicyChoice
    public var limits: EpisodeLimits
    /// How the server was reached, for the record ("ipc://..." or "in-process ipc://...").
    public var serverDescription: String
    public var prices: PriceTable?
    /// The split in-episode scores use (`full`: every test row, as MLE-Dojo and `mledojo eval` score).
    public var scoreSplit: ScoreSplit
    /// Whether the random-reference probe also grades the sample submission (false: it only reads the
    /// reference scores, one step and no code run).
    public var measuresRandom: Bool

    public init(task: String, policy: PolicyChoice, limits: EpisodeLimits = EpisodeLimits(), serverDescription: String, prices: PriceTable? = nil,
                scoreSplit: ScoreSplit = .public, measuresRandom: Bool = true) {
        self.task = task
        self.policy = policy
        self.limits = limits
        self.serverDescription = serverDescription
        self.prices = prices
        self.scoreSplit = scoreSplit
        self.measuresRandom = measuresRandom
    }

    /// The settings as stored with a run: never the API key (only whether one was given).
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "max_steps": .number(Double(limits.maxSteps)), "time_limit_s": .number(limits.timeLimitSeconds),
            "exec_timeout_s": .number(limits.execTimeoutSeconds), "max_tokens": limits.maxTokens.map { .number(Double($0)) } ?? .null,
            "max_repairs": .number(Double(limits.maxRepairs)), "context_tokens": .number(Double(limits.contextTokens)),
            "server": .string(serverDescription), "prices_as_of": .string(prices?.asOf),
            "score_split": .string(scoreSplit.rawValue),
        ]
        if case .llm(let endpoint) = policy {
            object["base_url"] = .string(endpoint.baseURL)
            object["model"] = .string(endpoint.model)
            object["temperature"] = .number(endpoint.temperature)
            object["max_reply_tokens"] = .number(Double(endpoint.maxReplyTokens))
            object["request_timeout_s"] = .number(endpoint.requestTimeoutSeconds)
            object["max_attempts"] = .number(Double(endpoint.retry.maxAttempts))
            object["api_key_given"] = .bool(endpoint.apiKey != nil)
            object["action_format"] = .string(endpoint.actionFormat.rawValue)
            if endpoint.actionFormat == .tools { object["tool_choice"] = .string(endpoint.toolChoice.description) }
            if endpoint.actionFormat == .json { object["action_schema"] = .bool(endpoint.sendsActionSchema) }
        }
        return .object(object)
    }
}
