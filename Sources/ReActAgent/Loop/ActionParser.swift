import Foundation
import Wire

/// Reads the policy's reply: reasoning, then exactly one ```json fenced block holding
/// `{"action": ..., "params": {...}}` (MLE-Dojo's format). Strict about the JSON: one block, one
/// object, exactly the keys `action` and `params`, a known action, and the parameters that action
/// takes with the right types. Prose around the block is kept as the reasoning.
public enum ActionParser {
    /// A reply parsed into its reasoning and its action.
    public struct Parsed: Sendable, Equatable {
        public var reasoning: String
        public var action: AgentAction
    }

    public static func parse(_ reply: String) throws(ActionParseError) -> Parsed {
        let blocks = fencedJSONBlocks(reply)
        guard !blocks.isEmpty else {
            throw ActionParseError("no ```json fenced block found; put the action in one ```json block")
        }
        guard blocks.count == 1, let block = blocks.first else {
            throw ActionParseError("found \(blocks.count) ```json blocks; send exactly one action per reply")
        }
        guard let body = block.body else {
            throw ActionParseError("the ```json block is not closed with ```")
        }
        let value: JSONValue
        do {
            value = try JSONValue.decode(Data(body.utf8))
        } catch {
            let hint = body.contains("\n") && body.contains("\"code\"") ? " (inside JSON strings, newlines must be written as \\n and quotes as \\\")" : ""
            throw ActionParseError("the ```json block is not valid JSON\(hint)")
        }
        let action = try action(from: value)
        return Parsed(reasoning: block.reasoning.trimmingCharacters(in: .whitespacesAndNewlines), action: action)
    }

    static func action(from value: JSONValue) throws(ActionParseError) -> AgentAction {
        guard let object = value.objectValue else { throw ActionParseError("the JSON must be an object, not \(kind(value))") }
        let extra = Set(object.keys).subtracting(["action", "params"])
        guard extra.isEmpty else {
            throw ActionParseError("unexpected key(s) \(extra.sorted().map { "'\($0)'" }.joined(separator: ", ")); only 'action' and 'params' are allowed")
        }
        guard let name = object["action"]?.stringValue else { throw ActionParseError("'action' must be a string") }
        guard AgentAction.names.contains(name) else {
            throw ActionParseError("unknown action '\(name)'; use one of \(AgentAction.names.joined(separator: ", "))")
        }
        let params: [String: JSONValue]
        switch object["params"] {
        case nil where name == AgentAction.finishName: params = [:]
        case .object(let fields)?: params = fields
        case nil: throw ActionParseError("'params' is missing")
        case let other?: throw ActionParseError("'params' must be an object, not \(kind(other))")
        }
        switch Action(rawValue: name) {
        case .requestInfo?:
            try allow(["info_type"], in: params, action: name)
            let infoType = try string("info_type", in: params, action: name)
            guard AgentAction.infoTypes.contains(infoType) else {
                throw ActionParseError("unknown info_type '\(infoType)'; use one of \(AgentAction.infoTypes.joined(separator: ", "))")
            }
            return .requestInfo(infoType: infoType)
        case .validateCode?, .executeCode?:
            try allow(["code"], in: params, action: name)
            let code = try string("code", in: params, action: name)
            guard !code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ActionParseError("params.code is empty") }
            return name == Action.executeCode.rawValue ? .executeCode(code: code) : .validateCode(code: code)
        case .evaluate?:
            try allow(["path", "submission"], in: params, action: name)
            switch (params["path"], params["submission"]) {
            case (.string(let path)?, nil): return .evaluate(.path(path))
            case (nil, .string(let csv)?): return .evaluate(.submission(csv))
            default: throw ActionParseError("evaluate needs exactly one string parameter: 'path' or 'submission'")
            }
        default:
            try allow([], in: params, action: name)
            return .finish
        }
    }

    private static func allow(_ keys: Set<String>, in params: [String: JSONValue], action: String) throws(ActionParseError) {
        let extra = Set(params.keys).subtracting(keys)
        guard extra.isEmpty else {
            let allowed = keys.isEmpty ? "it takes none" : "it takes \(keys.sorted().joined(separator: ", "))"
            throw ActionParseError("unknown parameter(s) \(extra.sorted().joined(separator: ", ")) for \(action); \(allowed)")
        }
    }

    private static func string(_ key: String, in params: [String: JSONValue], action: String) throws(ActionParseError) -> String {
        guard let value = params[key] else { throw ActionParseError("\(action) needs params.\(key)") }
        guard let text = value.stringValue else { throw ActionParseError("params.\(key) must be a string, not \(kind(value))") }
        return text
    }

    private static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Each ```json block: the text before it (reasoning; for the first block) and its body (nil if never closed).
    static func fencedJSONBlocks(_ reply: String) -> [(reasoning: String, body: String?)] {
        var blocks: [(reasoning: String, body: String?)] = []
        var before: [Substring] = []
        var inside: [Substring]?
        for line in reply.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var open = inside {
                if trimmed == "```" {
                    blocks.append((before.joined(separator: "\n"), open.joined(separator: "\n")))
                    before = []
                    inside = nil
                } else {
                    open.append(line)
                    inside = open
                }
            } else if trimmed.lowercased() == "```json" {
                inside = []
            } else {
                before.append(line)
            }
        }
        if inside != nil { blocks.append((before.joined(separator: "\n"), nil)) }
        return blocks
    }
}
