import EnvTesting
import Foundation
import ReActAgent
import Testing

@testable import Generator

/// The generator agents' prompt files: each role's file loads, splits into system and task, and renders
/// with nothing left unfilled for the values `LLMAuthor` passes.
@Suite("AgentPrompts")
struct AgentPromptsTests {
    /// The values `LLMAuthor` fills for each role (its `invoke` adds `max_steps`).
    static let values: [AgentRole: [String: String]] = [
        .brainstormer: ["dataset": "houses", "dataset_path": "/data/houses.csv", "work_path": "/gen/houses/brainstorm", "max_candidates": "3"],
        .designer: ["candidate_id": "houses-price", "work_path": "/gen/houses-price", "proposal": #"{"id": "price"}"#, "attempt": "2",
                    "max_attempts": "3", "defects": "- [design] prepare_runs: it crashed\n"],
        .refactor: ["candidate_id": "houses-price", "work_path": "/gen/houses-price", "proposal": #"{"id": "price"}"#, "attempt": "1",
                    "max_attempts": "2", "defects": "- [assertions_post] layout: it crashed\n"],
        .reviewer: ["candidate_id": "houses-price", "work_path": "/gen/houses-price"],
    ]

    @Test(arguments: AgentRole.allCases)
    func everyRolesPromptRendersCompletely(_ role: AgentRole) throws {
        let prompts = try AgentPrompts(resources: AgentResources.locate())
        var values = try #require(Self.values[role])
        values["max_steps"] = "30"
        let (system, task) = prompts.render(role, values)
        #expect(!system.isEmpty && !task.isEmpty)
        #expect(!system.contains("{{") && !task.contains("{{"), "unfilled: \(Self.placeholders(system + task))")
        #expect(!system.contains(AgentPrompts.separator) && !task.contains(AgentPrompts.separator))
        #expect((system + task).contains(values["work_path"] ?? "?"), "the agent is told where it works")
        #expect((system + task).contains("30"), "the agent is told its step budget")
        if role == .designer || role == .refactor {
            #expect((system + task).contains("it crashed"), "a retry sees the defects to mend")
        }
    }

    @Test func theFilesUseOnlyTheKeysLLMAuthorFills() throws {
        let resources = try AgentResources.locate()
        for role in AgentRole.allCases {
            let text = try resources.text("Prompts/Generator/\(role.rawValue).md")
            let known = Set((Self.values[role] ?? [:]).keys).union(["max_steps"])
            let used = Set(Self.placeholders(text))
            #expect(used.isSubset(of: known), "\(role): \(used.subtracting(known).sorted())")
        }
    }

    @Test func aFileWithoutTheSeparatorIsAnErrorNamingIt() throws {
        let folder = try TemporaryDirectory("prompts")
        defer { folder.remove() }
        let prompts = folder.url.appending(path: "Prompts/Generator")
        try FileManager.default.createDirectory(at: prompts, withIntermediateDirectories: true)
        for role in AgentRole.allCases {
            let text = role == .refactor ? "only a system prompt\n" : "system {{a}}\n=== task ===\ntask {{b}} {{a}}\n"
            try text.write(to: prompts.appending(path: "\(role.rawValue).md"), atomically: true, encoding: .utf8)
        }
        #expect {
            try AgentPrompts(resources: AgentResources(directory: folder.url))
        } throws: { error in
            "\(error)".contains("refactor.md")
        }
        try "s\n=== task ===\nt\n".write(to: prompts.appending(path: "refactor.md"), atomically: true, encoding: .utf8)
        let loaded = try AgentPrompts(resources: AgentResources(directory: folder.url))
        let (system, task) = loaded.render(.designer, ["a": "A", "b": "B"])
        #expect(system == "system A")
        #expect(task == "task B A")
        #expect(loaded.render(.designer, [:]).task == "task {{b}} {{a}}", "a value not given is left as it is")
    }

    @Test func aMissingFileIsAnError() throws {
        let folder = try TemporaryDirectory("prompts")
        defer { folder.remove() }
        #expect(throws: (any Error).self) { try AgentPrompts(resources: AgentResources(directory: folder.url)) }
    }

    static func placeholders(_ text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return names
    }
}
