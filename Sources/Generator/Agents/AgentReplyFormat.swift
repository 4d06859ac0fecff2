import Foundation
import ReActAgent
import Wire

/// How a generator agent's model writes its one tool call per turn (`--agent-format`):
/// - `tools`: function calling; the first entry of `tool_calls` is the call;
/// - `json`: JSON mode with the role's reply schema, `{"tool": NAME, "arguments": {...}}` — for endpoints,
///   and small models, that do not call functions well (llama-cpp-python holds decoding to the schema).
public enum AgentReplyFormat: String, Sendable, CaseIterable {
    case tools
    case json

    func constraint(for role: AgentRole, choice: ToolChoice) -> ReplyConstraint {
        switch self {
        case .tools: .tools(role.toolDefinitions, choice: choice)
        case .json: .jsonObject(schema: role.replySchema)
        }
    }

    /// The call in a completion: its tool name, arguments and id; or why there is none, for the model.
    func call(in completion: ChatCompletion, step: Int) -> Result<ToolCall, ToolArgumentError> {
        switch self {
        case .tools:
            guard let call = completion.toolCalls.first else {
                return .failure(ToolArgumentError(message: "your reply called no tool: call exactly one of the tools each turn"))
            }
            return .success(ToolCall(id: call.id ?? "call_\(step)", name: call.name, arguments: call.arguments))
        case .json:
            guard let object = try? JSONValue.decode(Data(Self.unfenced(completion.content).utf8)), object.objectValue != nil else {
                return .failure(ToolArgumentError(message: "your reply is not one JSON object {\"tool\": NAME, \"arguments\": {...}}"))
            }
            guard let name = (object["tool"] ?? object["name"])?.stringValue else {
                return .failure(ToolArgumentError(message: "your reply has no \"tool\" naming the tool to call"))
            }
            let arguments = object["arguments"] ?? object["parameters"] ?? .object([:])
            return .success(ToolCall(id: "call_\(step)", name: name, arguments: arguments.encodedString()))
        }
    }

    /// The text inside a ```json fence, or the text itself.
    static func unfenced(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```"), let open = trimmed.firstIndex(of: "\n"), let close = trimmed.range(of: "```", options: .backwards),
              close.lowerBound > open else { return trimmed }
        return String(trimmed[trimmed.index(after: open)..<close.lowerBound])
    }
}
