import Wire

/// One function call the model asked for: an entry of `choices[0].message.tool_calls`.
public struct ToolCall: Sendable, Equatable {
    /// The call's id, when the endpoint sent one.
    public var id: String?
    public var name: String
    /// The arguments as JSON text (the wire form; an endpoint that sent an object has it re-encoded).
    public var arguments: String

    public init(id: String? = nil, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The call as the chat-completions wire format writes it, for logs and stored replies.
    public var json: JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
    }

    /// Reads one `tool_calls` entry (`{"id", "type": "function", "function": {"name", "arguments"}}`).
    static func decode(_ value: JSONValue) throws(LLMError) -> ToolCall {
        guard let function = value["function"], let name = function["name"]?.stringValue else {
            throw .malformedResponse("a tool call has no 'function.name'")
        }
        let arguments: String
        switch function["arguments"] {
        case .string(let text)?: arguments = text
        case .null?, nil: arguments = ""
        case let other?: arguments = other.encodedString()
        }
        return ToolCall(id: value["id"]?.stringValue, name: name, arguments: arguments)
    }
}
