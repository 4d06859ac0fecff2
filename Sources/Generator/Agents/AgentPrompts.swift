import Foundation
import ReActAgent

/// The generator agents' prompts, one resource file per role (`Prompts/Generator/<role>.md`): the system
/// prompt, a line `=== task ===`, then the first user message; `{{name}}` placeholders are filled per call.
public struct AgentPrompts: Sendable {
    /// One role's two templates.
    public struct Template: Sendable {
        public var system: String
        public var task: String
    }

    public let templates: [AgentRole: Template]
    static let separator = "=== task ==="

    /// Reads every role's file; a missing file or separator is an error naming the file.
    public init(resources: AgentResources) throws {
        var templates: [AgentRole: Template] = [:]
        for role in AgentRole.allCases {
            let path = "Prompts/Generator/\(role.rawValue).md"
            let text = try resources.text(path)
            guard let split = text.range(of: "\n\(Self.separator)\n") else {
                throw AgentResourceError.templateMismatch(template: path, detail: "no line \(Self.separator)")
            }
            templates[role] = Template(system: String(text[..<split.lowerBound]), task: String(text[split.upperBound...]))
        }
        self.templates = templates
    }

    /// The system prompt and first user message of `role`, with `values` filled in.
    public func render(_ role: AgentRole, _ values: [String: String]) -> (system: String, task: String) {
        let template = templates[role] ?? Template(system: "", task: "")
        return (Self.fill(template.system, values), Self.fill(template.task, values))
    }

    /// One pass over the template: a value that itself holds `{{name}}` (a proposal's text) stays as written.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var text = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let key = String(rest[open.upperBound..<close.lowerBound])
            text += rest[..<open.lowerBound]
            text += values[key] ?? String(rest[open.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
        }
        text += rest
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
