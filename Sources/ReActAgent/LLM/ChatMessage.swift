import Wire

/// One message of a chat-completions conversation: text, an assistant's function calls, or a tool's
/// result answering one of them.
public struct ChatMessage: Sendable, Equatable {
    /// Who said it, as the chat-completions wire format names it.
    public enum Role: String, Sendable { case system, user, assistant, tool }

    public var role: Role
    public var content: String
    /// The calls an assistant message made (function calling).
    public var toolCalls: [ToolCall]
    /// The call a `tool` message answers.
    public var toolCallID: String?

    public init(_ role: Role, _ content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(.system, content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(.user, content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(.assistant, content) }
    /// An assistant turn that called `calls` (its text, if any, kept).
    public static func assistant(_ content: String, calling calls: [ToolCall]) -> ChatMessage {
        ChatMessage(.assistant, content, toolCalls: calls)
    }
    /// The result of the call `id`.
    public static func tool(_ content: String, answering id: String?) -> ChatMessage { ChatMessage(.tool, content, toolCallID: id) }

    public var json: JSONValue {
        var message: [String: JSONValue] = ["role": .string(role.rawValue), "content": .string(content)]
        if !toolCalls.isEmpty {
            // content stays a string, even empty: llama-cpp-python's server refuses null there.
            message["tool_calls"] = .array(toolCalls.map(\.json))
        }
        if role == .tool { message["tool_call_id"] = .string(toolCallID ?? "") }
        return .object(message)
    }
}
