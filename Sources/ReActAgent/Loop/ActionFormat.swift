import Wire

/// How the model writes its action, chosen per endpoint (`--action-format`):
/// - `fenced`: MLE-Dojo's format, reasoning then one ```json block, free text otherwise;
/// - `json`: JSON mode (`response_format: {"type": "json_object"}`), the whole reply is the action object;
/// - `tools`: function calling, one tool per action kind (`Prompts/tools.json`), the first tool call is the action.
/// All three carry the same action schema (`{"action", "params"}`), checked by the same rules.
public enum ActionFormat: String, Sendable, CaseIterable {
    case fenced
    case json
    case tools

    /// What the request asks of the endpoint: `tools` (the tool definitions) and `choice` for the `tools`
    /// format, `schema` (the action's JSON Schema, when the endpoint takes one) for `json`.
    func constraint(tools: [JSONValue], choice: ToolChoice, schema: JSONValue?) -> ReplyConstraint {
        switch self {
        case .fenced: .text
        case .json: .jsonObject(schema: schema)
        case .tools: .tools(tools, choice: choice)
        }
    }

    /// The action in `completion`, and the reply as the conversation and the trajectory keep it: for
    /// `fenced` the text as written; for `json` and `tools` the action rewritten as MLE-Dojo's fenced
    /// block (after any text the model wrote beside a tool call), so every stored assistant message,
    /// and every exported one, reads as an action in one format whatever the endpoint spoke.
    func read(_ completion: ChatCompletion) throws(ActionParseError) -> (parsed: ActionParser.Parsed, reply: String) {
        let parsed: ActionParser.Parsed
        switch self {
        case .fenced: return (try ActionParser.parse(completion.content), completion.content)
        case .json: parsed = try ActionParser.parseJSONReply(completion.content)
        case .tools: parsed = try ActionParser.parseToolCalls(completion.toolCalls, content: completion.content)
        }
        return (parsed, ActionParser.fencedReply(parsed))
    }

    /// The reply as received, for the record of a reply that did not parse: the text, and any tool calls as JSON.
    static func rawReply(_ completion: ChatCompletion) -> String {
        guard !completion.toolCalls.isEmpty else { return completion.content }
        let calls = JSONValue.array(completion.toolCalls.map(\.json)).encodedString()
        return completion.content.isEmpty ? "tool_calls: \(calls)" : completion.content + "\ntool_calls: \(calls)"
    }
}
