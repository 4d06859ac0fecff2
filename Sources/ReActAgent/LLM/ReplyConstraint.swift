import Wire

/// What a chat request asks the endpoint to hold the reply to, beyond plain text.
public enum ReplyConstraint: Sendable, Equatable {
    /// Free text (the fenced-block format).
    case text
    /// JSON mode: `response_format: {"type": "json_object"}`; the whole reply is one JSON object. With a
    /// schema, `response_format.schema` holds it too (llama-cpp-python's form), so the endpoint can
    /// constrain decoding to it.
    case jsonObject(schema: JSONValue?)
    /// Function calling: `tools` (each `{"type": "function", "function": {...}}`) and `tool_choice`.
    case tools([JSONValue], choice: ToolChoice)

    /// Adds this constraint's fields to a request body.
    func apply(to body: inout [String: JSONValue]) {
        switch self {
        case .text: break
        case .jsonObject(let schema):
            // `schema.map { ... }`, not a nil literal: JSONValue is ExpressibleByNilLiteral (JSON null).
            body["response_format"] = schema.map { ["type": "json_object", "schema": $0] } ?? ["type": "json_object"]
        case .tools(let tools, let choice):
            body["tools"] = .array(tools)
            body["tool_choice"] = choice.json
        }
    }
}
