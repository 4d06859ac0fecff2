import Wire

/// One message of a chat-completions conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// Who said it, as the chat-completions wire format names it.
    public enum Role: String, Sendable, Codable { case system, user, assistant }

    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(.system, content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(.user, content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(.assistant, content) }

    public var json: JSONValue { ["role": .string(role.rawValue), "content": .string(content)] }
}
