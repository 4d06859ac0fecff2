import ArgumentParser
import ReActAgent

/// The options that reach an OpenAI-compatible chat endpoint, shared by the commands that drive a model.
/// The API key is read from the variable --api-key-env names and never printed or stored.
struct ModelEndpointOptions: ParsableArguments {
    @Option(help: "Model name sent to the endpoint.")
    var model: String?
    @Option(help: "Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1.")
    var baseURL: String?
    @Option(help: "Name of the environment variable holding the API key (none: no Authorization header).")
    var apiKeyEnv: String?
    @Option(help: "max_tokens of each model reply.")
    var maxReplyTokens = 4096
    @Option(help: "Sampling temperature.")
    var temperature = 0.2
    @Option(help: "Seconds one HTTP attempt to the model may take.")
    var requestTimeout = 120.0
    @Option(help: "HTTP attempts per model call (429, 5xx and network errors are retried with exponential backoff).")
    var maxAttempts = 4
    @Option(help: "Price table (JSON, per million tokens) instead of the bundled one.")
    var prices: String?

    /// The endpoint these options name, checked; `actionFormat` and the rest are the ReAct agent's settings.
    func endpoint(actionFormat: ActionFormat = .fenced, toolChoice: ToolChoice = .required,
                  sendsActionSchema: Bool = false) throws -> ChatEndpoint {
        guard let model, let baseURL else { throw ValidationError("a model needs --model and --base-url") }
        let key = try apiKeyEnv.map { name throws(LLMError) in try APIKey.fromEnvironment(name) }
        let endpoint = ChatEndpoint(baseURL: baseURL, model: model, apiKey: key, temperature: temperature, maxReplyTokens: maxReplyTokens,
                                    requestTimeoutSeconds: requestTimeout, retry: RetryPolicy(maxAttempts: maxAttempts),
                                    actionFormat: actionFormat, toolChoice: toolChoice, sendsActionSchema: sendsActionSchema)
        try endpoint.validate()
        return endpoint
    }

    /// The price table: --prices, else the bundled one.
    func priceTable(_ resources: AgentResources) throws -> PriceTable {
        if let prices { return try PriceTable.load(path: ProjectPaths.resolve(prices).path) }
        return try PriceTable.bundled(resources)
    }
}
