import Foundation
import ReActAgent

/// One `--models` entry of `mledojo eval run`: a name and who plays under it — an OpenAI-compatible
/// endpoint (`NAME=BASEURL[,model=ID,key_env=VAR,format=tools|json|fenced,tool_choice=...]`), the
/// LLM-free baseline policy (`NAME=baseline`) or the sample-submission player (`NAME=sample`).
public struct ModelSpec: Sendable, Equatable {
    /// Who plays.
    public enum Player: Sendable, Equatable {
        case endpoint(Endpoint)
        case baseline
        case sample
    }

    /// An OpenAI-compatible chat endpoint as a spec names it (the API key stays in the environment).
    public struct Endpoint: Sendable, Equatable {
        public var baseURL: String
        /// The model id sent to the endpoint (default: the spec's name).
        public var model: String
        /// The environment variable holding the API key, if any.
        public var keyEnv: String?
        public var format: ActionFormat
        public var toolChoice: String

        public init(baseURL: String, model: String, keyEnv: String? = nil, format: ActionFormat = .fenced, toolChoice: String = "required") {
            self.baseURL = baseURL
            self.model = model
            self.keyEnv = keyEnv
            self.format = format
            self.toolChoice = toolChoice
        }
    }

    public var name: String
    public var player: Player

    public init(name: String, player: Player) {
        self.name = name
        self.player = player
    }

    /// The keys an endpoint spec may carry after its URL.
    public static let endpointKeys = ["model", "key_env", "format", "tool_choice"]

    /// Parses one entry.
    public static func parse(_ text: String) throws(ModelSpecError) -> ModelSpec {
        guard let equals = text.firstIndex(of: "=") else { throw .missingEquals(text) }
        let name = text[..<equals].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw .emptyName(text) }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else { throw .badName(name) }
        let parts = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let target = parts.first, !target.isEmpty else { throw .emptyTarget(name: name) }
        let options = Array(parts.dropFirst())
        switch target.lowercased() {
        case "baseline", "sample":
            guard options.isEmpty else { throw .optionsWithoutEndpoint(name: name, player: target.lowercased()) }
            return ModelSpec(name: name, player: target.lowercased() == "baseline" ? .baseline : .sample)
        default:
            return ModelSpec(name: name, player: .endpoint(try endpoint(name: name, url: target, options: options)))
        }
    }

    /// Parses every entry; names must be distinct.
    public static func parseAll(_ texts: [String]) throws(ModelSpecError) -> [ModelSpec] {
        var specs: [ModelSpec] = []
        for text in texts {
            let spec = try parse(text)
            guard !specs.contains(where: { $0.name == spec.name }) else { throw .duplicateName(spec.name) }
            specs.append(spec)
        }
        return specs
    }

    private static func endpoint(name: String, url: String, options: [String]) throws(ModelSpecError) -> Endpoint {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), let host = URL(string: url)?.host, !host.isEmpty else {
            throw .badURL(name: name, url: url)
        }
        var endpoint = Endpoint(baseURL: url, model: name)
        for option in options {
            guard let equals = option.firstIndex(of: "=") else { throw .malformedOption(name: name, option: option) }
            let key = String(option[..<equals])
            let value = String(option[option.index(after: equals)...])
            guard !value.isEmpty else { throw .badValue(name: name, key: key, value: value, expected: "a non-empty value") }
            switch key {
            case "model": endpoint.model = value
            case "key_env": endpoint.keyEnv = value
            case "format":
                guard let format = ActionFormat(rawValue: value) else {
                    throw .badValue(name: name, key: key, value: value, expected: "tools, json or fenced")
                }
                endpoint.format = format
            case "tool_choice":
                guard ToolChoice(option: value) != nil else {
                    throw .badValue(name: name, key: key, value: value, expected: "required, auto or function:NAME")
                }
                endpoint.toolChoice = value
            default:
                throw .unknownKey(name: name, key: key)
            }
        }
        return endpoint
    }

    /// The agent's policy for this spec; an endpoint's API key is read from its `key_env` now.
    public func policy(temperature: Double = 0.2, maxReplyTokens: Int = 4096, requestTimeoutSeconds: Double = 120,
                       retry: RetryPolicy = RetryPolicy(maxAttempts: 4)) throws -> AgentSettings.PolicyChoice {
        switch player {
        case .baseline: return .baseline
        case .sample: return .sample
        case .endpoint(let spec):
            let key = try spec.keyEnv.map { name throws(LLMError) in try APIKey.fromEnvironment(name) }
            let endpoint = ChatEndpoint(baseURL: spec.baseURL, model: spec.model, apiKey: key, temperature: temperature,
                                        maxReplyTokens: maxReplyTokens, requestTimeoutSeconds: requestTimeoutSeconds, retry: retry,
                                        actionFormat: spec.format, toolChoice: ToolChoice(option: spec.toolChoice) ?? .required)
            try endpoint.validate()
            return .llm(endpoint)
        }
    }

    /// The model id sent to the endpoint, nil for the policies without a model (for pricing).
    public var modelID: String? {
        if case .endpoint(let endpoint) = player { return endpoint.model }
        return nil
    }
}
