import Foundation
import Wire

/// The prompt templates (`Resources/Prompts/*.txt`, the reply formats in `Prompts/Formats/`) and the
/// tool definitions of the `tools` format (`Prompts/tools.json`), loaded once and filled per turn. No
/// prompt text lives in code: to change what the model reads, edit the files.
public struct PromptLibrary: Sendable {
    let system: Template
    let firstTurn: Template
    let turn: Template
    let budget: Template
    let repair: Template
    let rejected: Template
    let finalStep: Template
    /// Per action format: the reply-format section of the system prompt and the repair prompt's reminder.
    let formats: [ActionFormat: (system: String, reminder: String)]
    /// The `tools` of a function-calling request: one per action kind, with JSON-Schema parameters.
    public let actionTools: [JSONValue]
    /// The action object's JSON Schema, made from the tools: one alternative per action, `{"action":
    /// <its name>, "params": <its parameters>}`.
    public let actionSchema: JSONValue

    public init(resources: AgentResources) throws(AgentResourceError) {
        func load(_ name: String) throws(AgentResourceError) -> Template {
            Template(name: "Prompts/\(name).txt", text: try resources.text("Prompts/\(name).txt"))
        }
        system = try load("system")
        firstTurn = try load("first_turn")
        turn = try load("turn")
        budget = try load("budget")
        repair = try load("repair")
        rejected = try load("rejected")
        finalStep = try load("final_step")
        var formats: [ActionFormat: (system: String, reminder: String)] = [:]
        for format in ActionFormat.allCases {
            formats[format] = (try resources.text("Prompts/Formats/\(format.rawValue).txt").trimmingTrailingNewlines,
                               try resources.text("Prompts/Formats/\(format.rawValue)_repair.txt").trimmingTrailingNewlines)
        }
        self.formats = formats
        actionTools = try Self.loadTools(resources)
        actionSchema = Self.schema(of: actionTools)
    }

    static func schema(of tools: [JSONValue]) -> JSONValue {
        let alternatives: [JSONValue] = tools.compactMap { tool in
            guard let function = tool["function"], let name = function["name"] else { return nil }
            return ["type": "object", "properties": ["action": ["const": name], "params": function["parameters"] ?? ["type": "object"]],
                    "required": ["action", "params"], "additionalProperties": false]
        }
        return ["oneOf": .array(alternatives)]
    }

    /// Reads `Prompts/tools.json`: an array of function tools whose names are exactly the action names.
    static func loadTools(_ resources: AgentResources) throws(AgentResourceError) -> [JSONValue] {
        let file = "Prompts/tools.json"
        guard let tools = (try? JSONValue.decode(Data(try resources.text(file).utf8)))?.arrayValue else {
            throw .templateMismatch(template: file, detail: "not a JSON array of tools")
        }
        let names = tools.compactMap { $0["function"]?["name"]?.stringValue }
        guard names.count == tools.count, Set(names) == Set(AgentAction.names), names.count == AgentAction.names.count else {
            throw .templateMismatch(template: file, detail: "the tools must be exactly \(AgentAction.names.joined(separator: ", ")); found \(names)")
        }
        return tools
    }

    /// What the task looks like from the agent's side, for the system and first prompts.
    public struct TaskFacts: Sendable {
        public var task: String
        public var metric: String
        public var higherIsBetter: Bool
        public var maxSteps: Int
        public var timeLimitSeconds: Double
        public var execTimeoutSeconds: Double
        public var dataPath = "/data"
        public var outputPath = "/workspace"
        /// How the policy writes its actions; the system prompt describes this format.
        public var actionFormat: ActionFormat

        public init(task: String, metric: String, higherIsBetter: Bool, maxSteps: Int, timeLimitSeconds: Double, execTimeoutSeconds: Double,
                    actionFormat: ActionFormat = .fenced) {
            self.task = task
            self.metric = metric
            self.higherIsBetter = higherIsBetter
            self.maxSteps = maxSteps
            self.timeLimitSeconds = timeLimitSeconds
            self.execTimeoutSeconds = execTimeoutSeconds
            self.actionFormat = actionFormat
        }
    }

    public func systemPrompt(_ facts: TaskFacts) throws(AgentResourceError) -> String {
        try system.render([
            "task": facts.task, "max_steps": String(facts.maxSteps), "time_limit": Self.seconds(facts.timeLimitSeconds),
            "exec_timeout": Self.seconds(facts.execTimeoutSeconds), "data_path": facts.dataPath, "output_path": facts.outputPath,
            "reply_format": formats[facts.actionFormat]?.system ?? "",
        ])
    }

    public func firstTurnPrompt(_ facts: TaskFacts, observation: String, remaining: RemainingBudget) throws(AgentResourceError) -> String {
        try firstTurn.render([
            "task": facts.task, "metric": facts.metric, "direction": facts.higherIsBetter ? "higher" : "lower",
            "observation": observation, "budget": try budgetLine(remaining),
        ])
    }

    public func turnPrompt(step: Int, action: String, observation: String, remaining: RemainingBudget,
                           note: String? = nil) throws(AgentResourceError) -> String {
        var notes = note.map { $0 + "\n" } ?? ""
        if remaining.stepsLeft == 1 { notes += try finalStep.render([:]) }
        return try turn.render([
            "step": String(step), "action": action, "observation": observation, "budget": try budgetLine(remaining),
            "note": notes,
        ])
    }

    public func budgetLine(_ remaining: RemainingBudget) throws(AgentResourceError) -> String {
        try budget.render([
            "steps_left": String(remaining.stepsLeft), "max_steps": String(remaining.maxSteps),
            "seconds_left": Self.seconds(remaining.secondsLeft), "time_limit": Self.seconds(remaining.timeLimitSeconds),
            "tokens_left": remaining.tokensLeft.map(String.init) ?? "unlimited",
            "best_score": remaining.bestScore.map { Self.score($0) } ?? "none yet",
        ]).trimmingTrailingNewlines
    }

    public func repairPrompt(problem: String, attempt: Int, maxAttempts: Int, format: ActionFormat = .fenced) throws(AgentResourceError) -> String {
        try repair.render(["problem": problem, "attempt": String(attempt), "max_attempts": String(maxAttempts),
                           "reminder": formats[format]?.reminder ?? ""])
            .trimmingTrailingNewlines
    }

    public func rejectedNote(code: String, message: String) throws(AgentResourceError) -> String {
        try rejected.render(["code": code, "message": message]).trimmingTrailingNewlines
    }

    static func seconds(_ value: Double) -> String { String(Int(max(0, value).rounded())) }

    static func score(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6) { return String(format: "%.4e", value) }
        return String(format: "%.4f", value)
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
