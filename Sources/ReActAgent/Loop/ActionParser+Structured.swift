import Foundation
import Wire

/// The structured formats (JSON mode and tool calls): the same action schema and the same checks as
/// the fenced block, without the fence.
extension ActionParser {
    /// JSON mode: the whole reply (surrounding whitespace aside) is one `{"action", "params"}` object.
    /// There is no reasoning.
    public static func parseJSONReply(_ reply: String) throws(ActionParseError) -> Parsed {
        let body = reply.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw ActionParseError("the reply is empty; reply with one JSON object {\"action\": ..., \"params\": {...}}") }
        let value: JSONValue
        do {
            value = try JSONValue.decode(Data(body.utf8))
        } catch {
            let fenced = body.hasPrefix("```") ? " (send the JSON object alone, without a ``` fence or any text around it)" : ""
            throw ActionParseError("the reply is not one valid JSON object\(fenced)")
        }
        return Parsed(reasoning: "", action: try action(from: value))
    }

    /// Function calling: the first tool call names the action and its arguments are the params
    /// (later calls are ignored: one action per turn). Text written beside the call is the reasoning.
    public static func parseToolCalls(_ calls: [ToolCall], content: String) throws(ActionParseError) -> Parsed {
        guard let call = calls.first else {
            throw ActionParseError("the reply calls no tool; call exactly one of the tools \(AgentAction.names.joined(separator: ", "))")
        }
        guard AgentAction.names.contains(call.name) else {
            throw ActionParseError("unknown tool '\(call.name)'; call one of \(AgentAction.names.joined(separator: ", "))")
        }
        var params: JSONValue = [:]
        let arguments = call.arguments.trimmingCharacters(in: .whitespacesAndNewlines)
        if !arguments.isEmpty {
            do { params = try JSONValue.decode(Data(arguments.utf8)) } catch {
                throw ActionParseError("the arguments of the \(call.name) call are not valid JSON")
            }
        }
        if params.objectValue == nil { throw ActionParseError("the arguments of the \(call.name) call must be a JSON object") }
        let action = try action(from: ["action": .string(call.name), "params": params])
        return Parsed(reasoning: content.trimmingCharacters(in: .whitespacesAndNewlines), action: action)
    }

    /// A parsed action written back in the fenced format: the reasoning, then the ```json block.
    public static func fencedReply(_ parsed: Parsed) -> String {
        let block = "```json\n" + parsed.action.json.encodedString() + "\n```"
        return parsed.reasoning.isEmpty ? block : parsed.reasoning + "\n" + block
    }
}
