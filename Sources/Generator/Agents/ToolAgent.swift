import Foundation
import ReActAgent
import Wire

/// The loop every generator agent runs: ask the model, take its one tool call, run it in the agent's
/// workspace, show it the result, until it calls `finish` with a result its role accepts, its step budget
/// is spent, or the model fails. Every turn is handed to `onTurn` (the store) as it happens.
public struct ToolAgent: Sendable {
    /// Settings shared by the agents of one generation run.
    public struct Settings: Sendable {
        public var format: AgentReplyFormat
        public var toolChoice: ToolChoice
        /// Steps per invocation (the paper: ≤ 30).
        public var maxSteps: Int
        /// Wall clock of one invocation.
        public var secondsLimit: Double
        public var prices: PriceTable?
        /// Tool results older than this many turns are shortened in the conversation (the store keeps them).
        public var keepFullResults: Int

        public init(format: AgentReplyFormat = .tools, toolChoice: ToolChoice = .required, maxSteps: Int = 30,
                    secondsLimit: Double = 1800, prices: PriceTable? = nil, keepFullResults: Int = 8) {
            self.format = format
            self.toolChoice = toolChoice
            self.maxSteps = max(1, maxSteps)
            self.secondsLimit = secondsLimit
            self.prices = prices
            self.keepFullResults = max(1, keepFullResults)
        }
    }

    public let model: any ChatCompleting
    public let settings: Settings

    public init(model: any ChatCompleting, settings: Settings) {
        self.model = model
        self.settings = settings
    }

    /// Runs `role` on `task` (the user message) after `system`. `accept` checks the `finish` arguments and
    /// returns the result, or the reason it is not acceptable (told to the model, which may try again).
    public func run(_ role: AgentRole, attempt: Int = 1, system: String, task: String, workspace: AgentWorkspace,
                    accept: @Sendable (JSONValue) async -> Result<JSONValue, ToolArgumentError>,
                    onTurn: @Sendable (AgentTurn) async -> Void = { _ in }) async -> AgentRun {
        let started = ContinuousClock.now
        let deadline = started + .seconds(settings.secondsLimit)
        var messages: [ChatMessage] = [.system(system), .user(task)]
        var run = AgentRun(role: role, attempt: attempt, end: .stepBudget, result: .null, turns: [], usage: TokenUsage(),
                           costUSD: nil, seconds: 0)
        let constraint = settings.format.constraint(for: role, choice: settings.toolChoice)
        for step in 1...settings.maxSteps {
            let turnStarted = ContinuousClock.now
            let completion: ChatCompletion
            do {
                completion = try await model.complete(shortened(messages), maxTokens: nil, deadline: deadline, constraint: constraint)
            } catch {
                run.end = .modelError(error.description)
                break
            }
            run.usage += completion.usage
            var turn = AgentTurn(step: step, tool: nil, arguments: "", reply: completion.content, result: "", ok: false,
                                 usage: completion.usage, seconds: 0)
            var finished = false
            switch settings.format.call(in: completion, step: step) {
            case .failure(let problem):
                turn.result = "error: \(problem.message)"
                messages.append(.assistant(Self.rawReply(completion)))
                messages.append(.user(turn.result + Self.reminder(role)))
            case .success(let call):
                turn.tool = call.name
                turn.arguments = call.arguments
                let note = completion.toolCalls.count > 1 ? "\n(note: only your first tool call ran; call one tool per turn)" : ""
                let outcome = await perform(call, role: role, workspace: workspace, accept: accept)
                turn.ok = outcome.ok
                turn.result = outcome.text + note
                if let result = outcome.finished {
                    run.result = result
                    finished = true
                }
                switch settings.format {
                case .tools:
                    messages.append(.assistant(completion.content, calling: [call]))
                    messages.append(.tool(turn.result, answering: call.id))
                case .json:
                    messages.append(.assistant(completion.content))
                    messages.append(.user("Result of \(call.name):\n\(turn.result)"))
                }
            }
            turn.seconds = turnStarted.secondsSince
            run.turns.append(turn)
            await onTurn(turn)
            if finished {
                run.end = .finished
                break
            }
        }
        run.seconds = started.secondsSince
        run.costUSD = settings.prices.flatMap { table in
            let cost = table.cost(of: run.usage, model: model.endpoint.model)
            return cost.known ? cost.usd : nil
        }
        return run
    }

    /// Runs one call: a tool in the workspace, or `finish` through the role's check.
    private func perform(_ call: ToolCall, role: AgentRole, workspace: AgentWorkspace,
                         accept: @Sendable (JSONValue) async -> Result<JSONValue, ToolArgumentError>)
        async -> (ok: Bool, text: String, finished: JSONValue?) {
        guard let tool = AgentTool(rawValue: call.name), role.tools.contains(tool) else {
            return (false, "error: there is no tool '\(call.name)'; yours are \(role.tools.map(\.rawValue).joined(separator: ", "))", nil)
        }
        let arguments: JSONValue
        if call.arguments.trimmingCharacters(in: .whitespaces).isEmpty {
            arguments = .object([:])
        } else if let decoded = try? JSONValue.decode(Data(call.arguments.utf8)), decoded.objectValue != nil {
            arguments = decoded
        } else {
            return (false, "error: the arguments of \(call.name) are not a JSON object: \(call.arguments.prefix(200))", nil)
        }
        guard tool == .finish else {
            let result = await workspace.execute(tool, arguments)
            return (result.ok, result.text, nil)
        }
        switch await accept(arguments) {
        case .success(let result): return (true, "accepted", result)
        case .failure(let problem): return (false, "error: not accepted: \(problem.message). Fix it, then call finish again.", nil)
        }
    }

    /// The conversation with tool results older than `keepFullResults` turns cut short.
    func shortened(_ messages: [ChatMessage]) -> [ChatMessage] {
        let results = messages.indices.filter { messages[$0].role == .tool || (messages[$0].role == .user && $0 > 1) }
        let old = Set(results.dropLast(settings.keepFullResults))
        return messages.enumerated().map { index, message in
            guard old.contains(index), message.content.count > 400 else { return message }
            var short = message
            short.content = String(message.content.prefix(300)) + "\n[... shortened: an old result; run the tool again to see it]"
            return short
        }
    }

    static func rawReply(_ completion: ChatCompletion) -> String {
        guard !completion.toolCalls.isEmpty else { return completion.content }
        return completion.content + "\n" + JSONValue.array(completion.toolCalls.map(\.json)).encodedString()
    }

    static func reminder(_ role: AgentRole) -> String {
        "\nYour tools: \(role.tools.map(\.rawValue).joined(separator: ", ")). Call exactly one per turn; call finish when done."
    }
}
