import Wire

/// One completion: the assistant's text and tool calls, the tokens it cost, and how it was obtained.
public struct ChatCompletion: Sendable, Equatable {
    public var content: String
    /// The functions the model called (`message.tool_calls`, or a legacy `function_call`), in order.
    public var toolCalls: [ToolCall]
    public var usage: TokenUsage
    public var model: String?
    public var finishReason: String?
    /// HTTP attempts made (1 when the first succeeded).
    public var attempts: Int
    /// What went wrong on the attempts before the successful one (status codes, timeouts), oldest first.
    public var retries: [String]
    public var seconds: Double

    public init(content: String, toolCalls: [ToolCall] = [], usage: TokenUsage, model: String? = nil, finishReason: String? = nil, attempts: Int = 1,
                retries: [String] = [], seconds: Double = 0) {
        self.content = content
        self.toolCalls = toolCalls
        self.usage = usage
        self.model = model
        self.finishReason = finishReason
        self.attempts = attempts
        self.retries = retries
        self.seconds = seconds
    }
}

extension ChatCompletion {
    /// Reads a chat-completions response body. `prompt` is used to estimate usage when the body has none.
    static func decode(_ body: JSONValue, promptCharacters: Int) throws(LLMError) -> ChatCompletion {
        guard let choices = body["choices"]?.arrayValue else {
            throw .malformedResponse("no 'choices' array in the response")
        }
        guard let first = choices.first, let message = first["message"] else {
            throw .malformedResponse("'choices' is empty or its first entry has no 'message'")
        }
        let content: String
        switch message["content"] {
        case .string(let text)?: content = text
        case .array(let parts)?:
            // Some servers send content as parts: [{"type": "text", "text": "..."}].
            content = parts.compactMap { $0["text"]?.stringValue }.joined()
        case .null?, nil: content = ""
        default: throw .malformedResponse("'message.content' is neither a string nor null")
        }
        var toolCalls: [ToolCall] = []
        switch message["tool_calls"] {
        case .array(let calls)?:
            for call in calls { toolCalls.append(try ToolCall.decode(call)) }
        case .null?, nil:
            if let legacy = message["function_call"], legacy != .null { toolCalls = [try ToolCall.decode(["function": legacy])] }
        default: throw .malformedResponse("'message.tool_calls' is not an array")
        }
        let written = content + toolCalls.map { $0.name + $0.arguments }.joined()
        var usage = TokenUsage(promptTokens: (promptCharacters + 3) / 4, completionTokens: TokenUsage.estimate(written), estimated: true)
        if let reported = body["usage"], let prompt = reported["prompt_tokens"]?.numberValue,
           let completion = reported["completion_tokens"]?.numberValue, prompt >= 0, completion >= 0 {
            usage = TokenUsage(promptTokens: Int(prompt), completionTokens: Int(completion))
        }
        return ChatCompletion(content: content, toolCalls: toolCalls, usage: usage, model: body["model"]?.stringValue,
                              finishReason: first["finish_reason"]?.stringValue)
    }
}
