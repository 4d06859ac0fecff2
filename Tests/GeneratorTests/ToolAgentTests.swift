import EnvTesting
import Foundation
import ReActAgent
import Testing
import Wire

@testable import Generator
@testable import ReActAgent

/// `ToolAgent`'s loop against a scripted model: one tool call per turn, results back to the model, and
/// the ways a run ends (finish accepted, step budget, model error), in both reply formats.
@Suite("ToolAgent")
struct ToolAgentTests {
    static let prices = PriceTable(prices: ["scripted-model": .init(inputPerMillion: 1, outputPerMillion: 2)])

    static func agent(_ model: ScriptedChatModel, format: AgentReplyFormat = .tools, maxSteps: Int = 10,
                      prices: PriceTable? = nil, keepFullResults: Int = 8) -> ToolAgent {
        ToolAgent(model: model, settings: .init(format: format, maxSteps: maxSteps, prices: prices, keepFullResults: keepFullResults))
    }

    @Test func toolsFormatWritesAFileThenFinishes() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url.appending(path: "work"))
        let model = ScriptedChatModel([
            ScriptedChatModel.call("write_file", ["path": "notes/a.txt", "content": "hello"], id: "c1",
                                   usage: TokenUsage(promptTokens: 100, completionTokens: 10)),
            ScriptedChatModel.call("finish", ["summary": "wrote notes"], id: "c2", usage: TokenUsage(promptTokens: 200, completionTokens: 20)),
        ])
        let log = TurnLog()
        let run = await Self.agent(model, prices: Self.prices).run(
            .designer, attempt: 2, system: "SYSTEM", task: "TASK", workspace: workspace, accept: AgentFixtures.acceptAnything,
            onTurn: { log.record($0) })

        #expect(run.end == .finished)
        #expect(run.failure == nil)
        #expect(run.attempt == 2)
        #expect(run.result == ["summary": "wrote notes"])
        #expect(try String(contentsOf: workspace.root.appending(path: "notes/a.txt"), encoding: .utf8) == "hello")
        #expect(log.all.map(\.tool) == ["write_file", "finish"])
        #expect(log.all.map(\.step) == [1, 2])
        #expect(log.all.map(\.ok) == [true, true])
        #expect(run.turns.count == 2 && run.steps == 2 && run.toolCalls == 1)
        #expect(run.usage == TokenUsage(promptTokens: 300, completionTokens: 30))
        let cost = try #require(run.costUSD)
        #expect(abs(cost - (300 * 1 + 30 * 2) / 1e6) < 1e-12)

        // What the agent sent: system + task first, then the call and its result answering the call's id.
        let requests = model.requests
        #expect(requests.count == 2)
        #expect(requests[0].messages == [.system("SYSTEM"), .user("TASK")])
        #expect(requests[0].constraint == .tools(AgentRole.designer.toolDefinitions, choice: .required))
        #expect(requests.allSatisfy { $0.hadDeadline })
        let second = requests[1].messages
        #expect(second.count == 4)
        #expect(second[2].role == .assistant)
        #expect(second[2].toolCalls.map(\.id) == ["c1"])
        #expect(second[2].toolCalls.map(\.name) == ["write_file"])
        #expect(second[3].role == .tool)
        #expect(second[3].toolCallID == "c1")
        #expect(second[3].content.hasPrefix("wrote 5 bytes"))
    }

    @Test func jsonFormatWritesAFileThenFinishesFromAFencedReply() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url.appending(path: "work"))
        let fenced = "```json\n{\"tool\": \"finish\", \"arguments\": {\"summary\": \"done\"}}\n```"
        let model = ScriptedChatModel([
            .completion(ChatCompletion(content: #"{"tool": "write_file", "arguments": {"path": "b.txt", "content": "json mode"}}"#,
                                       usage: TokenUsage(promptTokens: 7, completionTokens: 3))),
            ScriptedChatModel.text(fenced, usage: TokenUsage(promptTokens: 9, completionTokens: 4)),
        ])
        let log = TurnLog()
        let run = await Self.agent(model, format: .json).run(
            .designer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything, onTurn: { log.record($0) })

        #expect(run.end == .finished)
        #expect(run.result == ["summary": "done"])
        #expect(try String(contentsOf: workspace.root.appending(path: "b.txt"), encoding: .utf8) == "json mode")
        #expect(log.all.map(\.tool) == ["write_file", "finish"])
        #expect(run.usage == TokenUsage(promptTokens: 16, completionTokens: 7))
        #expect(run.costUSD == nil, "no price table: no cost")

        let requests = model.requests
        #expect(requests.map(\.constraint) == Array(repeating: .jsonObject(schema: AgentRole.designer.replySchema), count: 2))
        // JSON mode has no tool messages: the result goes back as a user message after the raw reply.
        let second = requests[1].messages
        #expect(!second.contains { $0.role == .tool })
        #expect(second[2] == .assistant(#"{"tool": "write_file", "arguments": {"path": "b.txt", "content": "json mode"}}"#))
        #expect(second[3].role == .user)
        #expect(second[3].content.hasPrefix("Result of write_file:\nwrote 9 bytes"))
    }

    @Test func theReplySchemaHasOneBranchPerToolOfTheRole() {
        let branches = AgentRole.reviewer.replySchema["oneOf"]?.arrayValue ?? []
        let names = branches.compactMap { $0["properties"]?["tool"]?["const"]?.stringValue }
        #expect(names == AgentRole.reviewer.tools.map(\.rawValue))
        #expect(!names.contains("write_file"))
        let finish = branches.first { $0["properties"]?["tool"]?["const"] == "finish" }
        #expect(finish?["properties"]?["arguments"] == AgentRole.reviewer.finishSchema)
    }

    @Test func aReplyWithoutAToolCallIsAnErrorAndTheLoopGoesOn() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        let model = ScriptedChatModel([
            ScriptedChatModel.text("Let me think about the dataset first."),
            ScriptedChatModel.call("finish", ["summary": "ok"], id: "f"),
        ])
        let run = await Self.agent(model).run(.designer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything)

        #expect(run.end == .finished)
        #expect(run.turns[0].tool == nil && !run.turns[0].ok)
        #expect(run.turns[0].reply == "Let me think about the dataset first.")
        #expect(run.turns[0].result.hasPrefix("error: your reply called no tool"))
        #expect(run.toolCalls == 0)
        let sent = model.requests[1].messages
        #expect(sent[2] == .assistant("Let me think about the dataset first."))
        #expect(sent[3].role == .user)
        #expect(sent[3].content.contains("called no tool") && sent[3].content.contains("Your tools: list_directory_structure"))
    }

    @Test func jsonRepliesThatAreNotACallAreErrors() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        let model = ScriptedChatModel([
            ScriptedChatModel.text("I will now write the file."),
            ScriptedChatModel.text(#"{"arguments": {"path": "x"}}"#),
            ScriptedChatModel.text(#"["finish"]"#),
            ScriptedChatModel.json("finish", ["summary": "ok"]),
        ])
        let run = await Self.agent(model, format: .json).run(.designer, system: "S", task: "T", workspace: workspace,
                                                             accept: AgentFixtures.acceptAnything)
        #expect(run.end == .finished)
        #expect(run.turns.map(\.tool) == [nil, nil, nil, "finish"])
        #expect(run.turns[0].result.contains("not one JSON object"))
        #expect(run.turns[1].result.contains("no \"tool\""))
        #expect(run.turns[2].result.contains("not one JSON object"))
    }

    @Test func anUnknownToolAToolOutsideTheRoleAndArgumentsThatAreNotJSONAreErrors() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url, writable: false)
        let model = ScriptedChatModel([
            ScriptedChatModel.call("delete_everything", [:], id: "a"),
            ScriptedChatModel.call("write_file", ["path": "x.txt", "content": "no"], id: "b"),
            ScriptedChatModel.rawCall("read_file", arguments: "{\"path\": \"x.txt\"", id: "c"),
            ScriptedChatModel.rawCall("read_file", arguments: "[\"x.txt\"]"),
            ScriptedChatModel.call("finish", ["verdict": "pass"]),
        ])
        let run = await Self.agent(model).run(.reviewer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything)

        #expect(run.end == .finished)
        #expect(run.turns.map(\.ok) == [false, false, false, false, true])
        #expect(run.turns[0].result.contains("there is no tool 'delete_everything'"))
        #expect(run.turns[1].result.contains("there is no tool 'write_file'"), "the reviewer has no write_file")
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "x.txt").path))
        #expect(run.turns[2].result.contains("not a JSON object"))
        #expect(run.turns[3].result.contains("not a JSON object"))
        // Each error answers its call; a call without an id gets one from its step.
        let last = model.requests[4].messages
        let answered = last.filter { $0.role == .tool }.map(\.toolCallID)
        #expect(answered == ["a", "b", "c", "call_4"])
    }

    @Test func onlyTheFirstOfTwoCallsInOneTurnRuns() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        let first = ToolCall(id: "one", name: "write_file", arguments: #"{"path": "a.txt", "content": "A"}"#)
        let second = ToolCall(id: "two", name: "write_file", arguments: #"{"path": "b.txt", "content": "B"}"#)
        let model = ScriptedChatModel([
            ScriptedChatModel.calls([first, second]),
            ScriptedChatModel.call("finish", ["summary": "ok"], id: "f"),
        ])
        let run = await Self.agent(model).run(.designer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything)

        #expect(run.end == .finished)
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "a.txt").path))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "b.txt").path))
        #expect(run.turns[0].result.contains("only your first tool call ran"))
        let sent = model.requests[1].messages
        #expect(sent[2].toolCalls == [first], "the conversation shows only the call that ran, so every call has its answer")
        #expect(sent[3].toolCallID == "one")
    }

    @Test func aRejectedFinishIsToldToTheModelThenTheAcceptedResultIsKept() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        let model = ScriptedChatModel([
            ScriptedChatModel.call("finish", ["summary": "meh"], id: "f1"),
            ScriptedChatModel.call("finish", ["summary": "good"], id: "f2"),
        ])
        let run = await Self.agent(model).run(.designer, system: "S", task: "T", workspace: workspace) { arguments in
            arguments["summary"] == "good"
                ? .success(["summary": "good", "checked": true])
                : .failure(ToolArgumentError(message: "the summary must say good"))
        }
        #expect(run.end == .finished)
        #expect(run.result == ["summary": "good", "checked": true], "the accepted (checked) result, not the raw arguments")
        #expect(run.turns.map(\.ok) == [false, true])
        #expect(run.turns[0].result.hasPrefix("error: not accepted: the summary must say good"))
        #expect(run.turns[1].result == "accepted")
        #expect(model.requests[1].messages.last?.toolCallID == "f1")
        #expect(model.requests[1].messages.last?.content.contains("call finish again") == true)
    }

    @Test func theStepBudgetEndsARunThatNeverFinishes() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        let model = ScriptedChatModel(Array(repeating: ScriptedChatModel.call("list_directory_structure", [:]), count: 4))
        let run = await Self.agent(model, maxSteps: 3, prices: Self.prices).run(
            .brainstormer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything)

        #expect(run.end == .stepBudget)
        #expect(run.steps == 3 && run.toolCalls == 3)
        #expect(model.requests.count == 3 && model.remaining == 1)
        #expect(run.result == .null)
        #expect(run.failure == "the brainstormer spent its 3 steps without calling finish with a valid result")
        #expect(run.usage == TokenUsage(promptTokens: 30, completionTokens: 15))
        #expect(run.json["end"] == "step_budget")
        #expect(run.json["error"]?.stringValue == run.failure)
    }

    @Test func aModelErrorEndsTheRun() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        let failure = LLMError.http(status: 500, message: "upstream down", attempts: 3)
        let model = ScriptedChatModel(model: "unpriced-model", [
            ScriptedChatModel.call("list_directory_structure", [:], usage: TokenUsage(promptTokens: 50, completionTokens: 5)),
            .failure(failure),
            ScriptedChatModel.call("finish", ["summary": "never reached"]),
        ])
        let log = TurnLog()
        let run = await Self.agent(model, prices: Self.prices).run(
            .designer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything, onTurn: { log.record($0) })

        #expect(run.end == .modelError(failure.description))
        #expect(run.end.name == "model_error")
        #expect(run.failure?.contains("HTTP 500") == true)
        #expect(run.steps == 1 && log.all.count == 1)
        #expect(run.usage == TokenUsage(promptTokens: 50, completionTokens: 5))
        #expect(run.costUSD == nil, "a model the table does not price has no cost")
        #expect(model.remaining == 1)
    }

    @Test func oldToolResultsAreShortenedButRecentOnesAndTheTaskAreNot() {
        let agent = Self.agent(ScriptedChatModel([]), keepFullResults: 2)
        let long = String(repeating: "x", count: 1000)
        var messages: [ChatMessage] = [.system(long), .user(long)]
        for index in 1...4 {
            messages.append(.assistant(long, calling: [ToolCall(id: "c\(index)", name: "read_file", arguments: "{}")]))
            messages.append(.tool("\(index):" + long, answering: "c\(index)"))
        }
        messages.append(.assistant(long))
        messages.append(.user("short error"))
        let shortened = agent.shortened(messages)

        #expect(shortened.count == messages.count)
        #expect(shortened[0] == messages[0] && shortened[1] == messages[1], "the system prompt and task stay whole")
        let tools = shortened.filter { $0.role == .tool }
        #expect(tools[0].content.hasPrefix("1:") && tools[0].content.contains("[... shortened"))
        #expect(tools[0].content.count < 400)
        #expect(tools[0].toolCallID == "c1", "a shortened result still answers its call")
        #expect(tools[1].content.contains("[... shortened"))
        // The user message that reported an error is a result too: with it, tool 3 is no longer among the newest 2.
        #expect(tools[2].content.contains("[... shortened"))
        #expect(tools[3] == messages[9], "the newest results stay whole")
        #expect(shortened.filter { $0.role == .assistant } == messages.filter { $0.role == .assistant })
        #expect(shortened.last == .user("short error"))
    }

    @Test func aRunSendsShortenedResultsWhileTheTurnsKeepThemWhole() async throws {
        let folder = try TemporaryDirectory("tool-agent")
        defer { folder.remove() }
        let workspace = try AgentFixtures.workspace(folder.url)
        try String(repeating: "0123456789", count: 100).write(to: folder.url.appending(path: "long.txt"), atomically: true, encoding: .utf8)
        let model = ScriptedChatModel([
            ScriptedChatModel.call("read_file", ["path": "long.txt"], id: "r1"),
            ScriptedChatModel.call("read_file", ["path": "long.txt"], id: "r2"),
            ScriptedChatModel.call("finish", ["summary": "ok"], id: "f"),
        ])
        let log = TurnLog()
        let run = await Self.agent(model, keepFullResults: 1).run(
            .designer, system: "S", task: "T", workspace: workspace, accept: AgentFixtures.acceptAnything, onTurn: { log.record($0) })
        #expect(run.end == .finished)
        let third = model.requests[2].messages.filter { $0.role == .tool }
        #expect(third.count == 2)
        #expect(third[0].content.contains("[... shortened"))
        #expect(third[1].content.count == 1000)
        #expect(log.all[0].result.count == 1000, "the stored turn keeps the whole result")
    }
}
