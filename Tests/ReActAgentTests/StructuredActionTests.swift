import Env
import EnvTesting
import Foundation
import Testing

@testable import ReActAgent

private let fastRetry = RetryPolicy(maxAttempts: 2, initialDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.1)

private func policy(_ server: ScriptedLLMServer, format: ActionFormat, toolChoice: ToolChoice = .required,
                    schema: Bool = false) throws -> LLMPolicy {
    let endpoint = ChatEndpoint(baseURL: server.baseURL, model: "small-model", requestTimeoutSeconds: 5, retry: fastRetry,
                                actionFormat: format, toolChoice: toolChoice, sendsActionSchema: schema)
    let resources = try AgentResources.locate()
    return LLMPolicy(client: try OpenAIChatClient(endpoint: endpoint), prompts: try PromptLibrary(resources: resources),
                     prices: try PriceTable.bundled(resources))
}

private func context() -> DecisionContext {
    DecisionContext(turn: 1, messages: [.system("sys"), .user("Choose your first action.")], lastObservation: nil, lastAction: nil,
                    remaining: RemainingBudget(stepsLeft: 3, maxSteps: 3, secondsLeft: 60, timeLimitSeconds: 60, tokensLeft: 100_000, bestScore: nil),
                    deadline: ContinuousClock.now.adding(seconds: 30))
}

private func problem(_ body: () throws(ActionParseError) -> ActionParser.Parsed) -> String? {
    do { _ = try body(); return nil } catch { return error.problem }
}

@Suite("Structured actions: JSON mode and tool calls")
struct StructuredActionParsingTests {
    @Test func aJSONModeReplyIsTheActionObject() throws {
        let parsed = try ActionParser.parseJSONReply(" {\"action\": \"execute_code\", \"params\": {\"code\": \"print(1)\"}}\n")
        #expect(parsed.action == .executeCode(code: "print(1)") && parsed.reasoning.isEmpty)
        #expect(try ActionParser.parseJSONReply("{\"action\": \"finish\"}").action == .finish)
        #expect(problem { () throws(ActionParseError) in try ActionParser.parseJSONReply("") }?.contains("empty") == true)
        #expect(problem { () throws(ActionParseError) in try ActionParser.parseJSONReply("```json\n{\"action\": \"finish\"}\n```") }?
            .contains("without a ``` fence") == true)
        #expect(problem { () throws(ActionParseError) in try ActionParser.parseJSONReply("{\"action_name\": \"x\"}") }?
            .contains("unexpected key") == true)
        #expect(problem { () throws(ActionParseError) in try ActionParser.parseJSONReply("[1]") }?.contains("must be an object") == true)
    }

    @Test func theFirstToolCallIsTheAction() throws {
        let calls = [ToolCall(id: "c1", name: "request_info", arguments: "{\"info_type\": \"metric\"}"),
                     ToolCall(name: "finish", arguments: "{}")]
        let parsed = try ActionParser.parseToolCalls(calls, content: " Let me read the metric. ")
        #expect(parsed.action == .requestInfo(infoType: "metric") && parsed.reasoning == "Let me read the metric.")
        #expect(try ActionParser.parseToolCalls([ToolCall(name: "finish", arguments: "")], content: "").action == .finish)
        // Written back as a fenced block, it parses to the same action.
        #expect(try ActionParser.parse(ActionParser.fencedReply(parsed)) == parsed)
    }

    @Test func badToolCallsAreTypedProblems() {
        func check(_ calls: [ToolCall], _ expected: String) {
            let found = problem { () throws(ActionParseError) in try ActionParser.parseToolCalls(calls, content: "text") }
            #expect(found?.contains(expected) == true, "\(found ?? "parsed")")
        }
        check([], "calls no tool")
        check([ToolCall(name: "rm_rf", arguments: "{}")], "unknown tool 'rm_rf'")
        check([ToolCall(name: "execute_code", arguments: "{\"code\": ")], "not valid JSON")
        check([ToolCall(name: "execute_code", arguments: "[]")], "must be a JSON object")
        check([ToolCall(name: "execute_code", arguments: "{\"code\": \"  \"}")], "params.code is empty")
        check([ToolCall(name: "evaluate", arguments: "{}")], "exactly one string parameter")
        check([ToolCall(name: "request_info", arguments: "{\"info_type\": \"answers\"}")], "unknown info_type")
    }

    @Test func completionsCarryToolCallsInEveryWireShape() throws {
        let body: JSONValue = [
            "choices": [["message": ["content": .null, "tool_calls": [
                ["id": "a", "type": "function", "function": ["name": "execute_code", "arguments": "{\"code\": \"x=1\"}"]],
                ["id": "b", "type": "function", "function": ["name": "finish", "arguments": ["k": 1]]],
            ]], "finish_reason": "tool_calls"]],
            "usage": ["prompt_tokens": 7, "completion_tokens": 9],
        ]
        let completion = try ChatCompletion.decode(body, promptCharacters: 10)
        #expect(completion.content.isEmpty && completion.usage == TokenUsage(promptTokens: 7, completionTokens: 9))
        #expect(completion.toolCalls == [ToolCall(id: "a", name: "execute_code", arguments: "{\"code\": \"x=1\"}"),
                                         ToolCall(id: "b", name: "finish", arguments: "{\"k\":1}")])
        let legacy: JSONValue = ["choices": [["message": ["function_call": ["name": "finish", "arguments": "{}"]]]]]
        let old = try ChatCompletion.decode(legacy, promptCharacters: 40)
        #expect(old.toolCalls.map(\.name) == ["finish"] && old.usage.estimated && old.usage.promptTokens == 10)
        #expect(throws: LLMError.malformedResponse("a tool call has no 'function.name'")) {
            try ChatCompletion.decode(["choices": [["message": ["tool_calls": [["id": "x"]]]]]], promptCharacters: 0)
        }
    }

    @Test func theToolsMatchTheActions() throws {
        let prompts = try PromptLibrary(resources: try AgentResources.locate())
        #expect(prompts.actionTools.compactMap { $0["function"]?["name"]?.stringValue } == AgentAction.names)
        let infoTool = try #require(prompts.actionTools.first { $0["function"]?["name"] == "request_info" })
        let infoTypes = infoTool["function"]?["parameters"]?["properties"]?["info_type"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
        #expect(infoTypes == AgentAction.infoTypes)
        for tool in prompts.actionTools {
            #expect(tool["type"] == "function" && tool["function"]?["parameters"]?["type"] == "object")
        }
    }

    @Test func eachFormatHasItsSystemPromptAndRepairReminder() throws {
        let prompts = try PromptLibrary(resources: try AgentResources.locate())
        func system(_ format: ActionFormat) throws -> String {
            try prompts.systemPrompt(PromptLibrary.TaskFacts(task: "t1", metric: "rmse", higherIsBetter: false, maxSteps: 3,
                                                             timeLimitSeconds: 60, execTimeoutSeconds: 10, actionFormat: format))
        }
        #expect(try system(.fenced).contains("one fenced json block"))
        #expect(try system(.json).contains("your whole reply is one JSON object"))
        #expect(try system(.tools).contains("call exactly ONE of the tools"))
        for format in ActionFormat.allCases {
            #expect(!(try system(format)).contains("{{"))
            let repair = try prompts.repairPrompt(problem: "P", attempt: 1, maxAttempts: 3, format: format)
            #expect(repair.hasPrefix("Your last reply could not be used: P") && repair.hasSuffix("(attempt 1 of 3)"))
        }
        #expect(try prompts.repairPrompt(problem: "P", attempt: 1, maxAttempts: 3, format: .tools).contains("Call exactly one of the tools"))
    }
}

@Suite("LLMPolicy in the structured formats, against a scripted loopback server", .serialized)
struct StructuredPolicyTests {
    @Test func toolsFormatSendsOneToolPerActionAndRepairsBadCalls() async throws {
        let script: [JSONValue] = [
            ["content": "I think I should look around first."],
            ["tool_calls": [["name": "execute_code", "arguments": "{\"code\": 5}"]], "content": .null],
            ["tool_calls": [["name": "request_info", "arguments": ["info_type": "overview"]]], "content": "Read first.",
             "usage": ["prompt_tokens": 50, "completion_tokens": 7]],
        ]
        try await ScriptedLLMServer.with(script) { server in
            let decision = try await policy(server, format: .tools).decide(context())
            #expect(decision.action == .requestInfo(infoType: "overview"))
            #expect(decision.reply == "Read first.\n```json\n" + AgentAction.requestInfo(infoType: "overview").json.encodedString() + "\n```")
            #expect(decision.repairs.map(\.problem) == ["the reply calls no tool; call exactly one of the tools request_info, validate_code, execute_code, evaluate, finish",
                                                        "params.code must be a string, not a number"])
            #expect(decision.repairs.last?.reply.contains("tool_calls: [") == true)
            #expect(decision.usage.promptTokens >= 50 + 100 + 100)
            let bodies = server.requests().compactMap { $0["body"] }
            #expect(bodies.count == 3)
            for body in bodies {
                #expect(body["tool_choice"] == "required" && body["response_format"] == nil)
                #expect(body["tools"]?.arrayValue?.compactMap { $0["function"]?["name"]?.stringValue } == AgentAction.names)
            }
            #expect(bodies[1]["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains("Call exactly one of the tools") == true)
        }
    }

    @Test func aNamedToolChoiceIsSentInTheForcedForm() async throws {
        try await ScriptedLLMServer.with([["tool_calls": [["name": "finish", "arguments": "{}"]]]]) { server in
            let decision = try await policy(server, format: .tools, toolChoice: .function("finish")).decide(context())
            #expect(decision.action == .finish)
            #expect(server.requests().first?["body"]?["tool_choice"] == ["type": "function", "function": ["name": "finish"]])
        }
    }

    @Test func jsonFormatAsksForJSONModeAndEndsTypedAfterTheRepairs() async throws {
        let script: [JSONValue] = [["json": ["action_name": "look"]], ["content": "Sure! {\"action\": \"finish\"}"], ["repeat_last": true]]
        try await ScriptedLLMServer.with(script) { server in
            let decision = try await policy(server, format: .json).decide(context())
            #expect(decision.outcome == .failure(.unparseable("the reply is not one valid JSON object")))
            #expect(decision.repairs.count == 3 && decision.repairs[0].problem.contains("unexpected key(s) 'action_name'"))
            let bodies = server.requests().compactMap { $0["body"] }
            #expect(bodies.count == 4 && bodies.allSatisfy { $0["response_format"] == ["type": "json_object"] && $0["tools"] == nil })
        }
        try await ScriptedLLMServer.with([["json": ["action": "request_info", "params": ["info_type": "metric"]]]]) { server in
            let decision = try await policy(server, format: .json, schema: true).decide(context())
            #expect(decision.action == .requestInfo(infoType: "metric"))
            #expect(try ActionParser.parse(decision.reply).action == .requestInfo(infoType: "metric"))
            // The action's schema rides along: one alternative per action, its params the tool's parameters.
            let format = try #require(server.requests().first?["body"]?["response_format"])
            let alternatives = try #require(format["schema"]?["oneOf"]?.arrayValue)
            #expect(format["type"] == "json_object")
            #expect(alternatives.compactMap { $0["properties"]?["action"]?["const"]?.stringValue } == AgentAction.names)
            #expect(alternatives[0]["properties"]?["params"]?["required"] == ["info_type"] && alternatives[0]["required"] == ["action", "params"])
        }
    }
}
