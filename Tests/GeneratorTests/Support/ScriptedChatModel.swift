import Foundation
import ReActAgent
import Synchronization
import Wire

/// An in-memory chat model for agent tests: it answers each request with the next entry of its script
/// (a completion, or a thrown `LLMError`) and records every request (messages, constraint, token limit),
/// so a test can check what the agent sent. A request past the end of the script throws
/// `LLMError.malformedResponse("the script is spent")`.
final class ScriptedChatModel: ChatCompleting {
    /// One scripted answer.
    enum Reply: Sendable {
        case completion(ChatCompletion)
        case failure(LLMError)
    }

    /// One request the agent made.
    struct Request: Sendable {
        var messages: [ChatMessage]
        var constraint: ReplyConstraint
        var maxTokens: Int?
        var hadDeadline: Bool
    }

    let endpoint: ChatEndpoint
    private let state: Mutex<(script: [Reply], requests: [Request])>

    init(model: String = "scripted-model", _ script: [Reply]) {
        endpoint = ChatEndpoint(baseURL: "http://127.0.0.1:9/v1", model: model)
        state = Mutex((script, []))
    }

    /// Every request so far, oldest first.
    var requests: [Request] { state.withLock { $0.requests } }
    /// Scripted replies not yet given.
    var remaining: Int { state.withLock { $0.script.count } }

    func complete(_ messages: [ChatMessage], maxTokens: Int?, deadline: ContinuousClock.Instant?,
                  constraint: ReplyConstraint) async throws(LLMError) -> ChatCompletion {
        let next: Reply? = state.withLock { state in
            state.requests.append(Request(messages: messages, constraint: constraint, maxTokens: maxTokens, hadDeadline: deadline != nil))
            return state.script.isEmpty ? nil : state.script.removeFirst()
        }
        switch next {
        case .completion(let completion)?: return completion
        case .failure(let error)?: throw error
        case nil: throw .malformedResponse("the script is spent")
        }
    }

    // MARK: Script entries

    /// A function-calling reply that calls `name` with `arguments` (a JSON object, encoded).
    static func call(_ name: String, _ arguments: JSONValue, id: String? = nil, text: String = "",
                     usage: TokenUsage = TokenUsage(promptTokens: 10, completionTokens: 5)) -> Reply {
        .completion(ChatCompletion(content: text, toolCalls: [ToolCall(id: id, name: name, arguments: arguments.encodedString())],
                                   usage: usage))
    }

    /// A function-calling reply whose arguments are the raw text given (possibly not JSON).
    static func rawCall(_ name: String, arguments: String, id: String? = nil,
                        usage: TokenUsage = TokenUsage(promptTokens: 10, completionTokens: 5)) -> Reply {
        .completion(ChatCompletion(content: "", toolCalls: [ToolCall(id: id, name: name, arguments: arguments)], usage: usage))
    }

    /// A reply with several tool calls in one turn.
    static func calls(_ calls: [ToolCall], usage: TokenUsage = TokenUsage(promptTokens: 10, completionTokens: 5)) -> Reply {
        .completion(ChatCompletion(content: "", toolCalls: calls, usage: usage))
    }

    /// A plain text reply (no tool call); in the JSON format, the text is the whole reply.
    static func text(_ content: String, usage: TokenUsage = TokenUsage(promptTokens: 10, completionTokens: 5)) -> Reply {
        .completion(ChatCompletion(content: content, usage: usage))
    }

    /// A JSON-mode reply `{"tool": name, "arguments": arguments}`.
    static func json(_ name: String, _ arguments: JSONValue, usage: TokenUsage = TokenUsage(promptTokens: 10, completionTokens: 5)) -> Reply {
        text(JSONValue.object(["tool": .string(name), "arguments": arguments]).encodedString(), usage: usage)
    }
}
