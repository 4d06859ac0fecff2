import ArgumentParser
import Env
import Foundation
import ReActAgent

/// `mledojo agent run`: one or more validation runs of the agent on a task.
struct AgentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Play budgeted episodes on a task with the LLM or the baseline policy and give a verdict.",
        discussion: """
            Each run first grades the task's sample submission in a probe session of its own (the random reference), \
            then plays one episode: each turn the policy answers with reasoning and one action in a ```json block \
            (request_info, validate_code, execute_code, evaluate, finish; --action-format json or tools for JSON mode \
            or function calling), within the step, time and token budgets. \
            The verdict is solvable when a graded submission of the agent's code beats the random reference by the \
            metric's margin, not_solvable when the pipeline ran but none did, error when the run could not tell. \
            Every turn (prompt, reply, action, observation, tokens, time) is stored in --db. Without --server an \
            in-process server is started on a private ipc:// endpoint. Exit status: 0 when the verdict is solvable, \
            1 when not_solvable, 2 on error. The API key is read from the variable --api-key-env names and is never \
            printed or stored.
            """)

    @Option(help: "Task id (as `mledojo tasks list` shows it).")
    var task: String
    @Option(help: "Endpoint of a running server (tcp:// or ipc://). Default: start one in this process.")
    var server: String?
    @Option(help: "Who plays: llm (a model over an OpenAI-compatible endpoint), baseline (no model) or sample (submits the sample submission as is).")
    var policy: PolicyOption = .baseline
    @OptionGroup(title: "The model (--policy llm)")
    var endpoint: ModelEndpointOptions
    @Option(help: "Steps per episode.")
    var maxSteps = 10
    @Option(help: "Episode wall clock in seconds (model time included).")
    var timeLimit = 1800.0
    @Option(help: "Wall clock of one code run in seconds.")
    var execTimeout = 600.0
    @Option(help: "Tokens (prompt + completion) the model may use per episode.")
    var maxTokens = 300_000
    @Option(help: "The model's context window in tokens (older observations are shortened to fit).")
    var contextTokens = 32_000
    @Option(help: "How the model writes its action: fenced (a ```json block in text, MLE-Dojo's format), json (JSON mode: the reply is the action object) or tools (function calling, one tool per action).")
    var actionFormat: ActionFormat = .fenced
    @Option(help: "tool_choice of the tools format: required, auto (llama-cpp-python's chatml-function-calling), or function:NAME.")
    var toolChoice = "required"
    @Flag(help: "With --action-format json: send the action's JSON Schema as response_format.schema (llama-cpp-python), so decoding is held to a valid action.")
    var actionSchema = false
    @Option(help: "Number of independent runs.")
    var runs = 1
    @Flag(help: "Print one JSON object at the end instead of the text summary (progress lines go to stderr).")
    var json = false
    @Option(help: "The agent's trajectory database (SQLite).")
    var db = "var/agent.sqlite"
    @Option(help: "Folder of task folders (in-process server).")
    var tasks = "tasks"
    @Option(help: "Python virtual environment (in-process server).")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package (in-process server).")
    var runtime = "python"

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard ToolChoice(option: toolChoice) != nil else {
            throw ValidationError("--tool-choice must be required, auto or function:NAME (got '\(toolChoice)')")
        }
        if policy == .llm {
            guard endpoint.model?.isEmpty == false else { throw ValidationError("--policy llm needs --model") }
            guard endpoint.baseURL?.isEmpty == false else { throw ValidationError("--policy llm needs --base-url") }
        }
    }

    func run() async throws {
        let toStandardError = json
        let say: @Sendable (String) -> Void = { line in
            if toStandardError { Console.error(line) } else { Console.line(line) }
        }
        let settings: AgentSettings
        let resources: AgentResources
        do {
            resources = try AgentResources.locate()
            settings = try makeSettings(serverDescription: server ?? "in-process")
        } catch {
            Console.error("mledojo agent: \(error)")
            throw ExitCode(2)
        }
        let server = try await ServerEndpoint.open(server: self.server, tasks: tasks, venv: venv, runtime: runtime,
                                                   command: "mledojo agent", say: say)
        let endpoint = server.endpoint
        let reports: [RunReport]
        do {
            reports = try await play(settings: settings, resources: resources, endpoint: endpoint, say: say)
        } catch {
            await server.stop()
            Console.error("mledojo agent: \(error)")
            throw ExitCode(2)
        }
        await server.stop()
        let overall = Self.overall(reports.map(\.verdict.status))
        if json {
            let output: JSONValue = [
                "task": .string(task), "policy": .string(policy.rawValue), "db": .string(ProjectPaths.resolve(db).path),
                "verdict": .string(overall.rawValue),
                "solvable_runs": .number(Double(reports.filter { $0.verdict.status == .solvable }.count)),
                "runs": .array(reports.map(\.json)),
            ]
            Console.line(output.encodedString())
        } else if reports.count > 1 {
            Console.line("overall verdict over \(reports.count) runs: \(overall.rawValue)")
        }
        switch overall {
        case .solvable: return
        case .notSolvable: throw ExitCode(1)
        case .error: throw ExitCode(2)
        }
    }

    private func play(settings: AgentSettings, resources: AgentResources, endpoint: String,
                      say: @escaping @Sendable (String) -> Void) async throws -> [RunReport] {
        let env = try EnvClient(endpoint: endpoint)
        defer { env.close() }
        let store = try TrajectoryStore(path: ProjectPaths.resolve(db).path)
        var settings = settings
        if server == nil { settings.serverDescription = "in-process \(endpoint)" }
        var agent = try ValidationAgent(env: env, settings: settings, store: store, resources: resources)
        agent.progress = { say($0.line) }
        var reports: [RunReport] = []
        for index in 1...runs {
            if runs > 1 { say("run \(index) of \(runs)") }
            let report = await agent.run()
            if !json { report.summaryLines.forEach(Console.line) }
            reports.append(report)
        }
        return reports
    }

    private func makeSettings(serverDescription: String) throws -> AgentSettings {
        let limits = EpisodeLimits(maxSteps: maxSteps, timeLimitSeconds: timeLimit, execTimeoutSeconds: execTimeout, maxTokens: maxTokens,
                                   contextTokens: contextTokens)
        try limits.validate()
        let table = try endpoint.prices.map { path throws(PriceTableError) in try PriceTable.load(path: ProjectPaths.resolve(path).path) }
        switch policy {
        case .baseline:
            return AgentSettings(task: task, policy: .baseline, limits: limits, serverDescription: serverDescription, prices: table)
        case .sample:
            return AgentSettings(task: task, policy: .sample, limits: limits, serverDescription: serverDescription, prices: table)
        case .llm:
            let endpoint = try self.endpoint.endpoint(actionFormat: actionFormat, toolChoice: ToolChoice(option: toolChoice) ?? .required,
                                                      sendsActionSchema: actionSchema)
            return AgentSettings(task: task, policy: .llm(endpoint), limits: limits, serverDescription: serverDescription, prices: table)
        }
    }

    /// Solvable if any run was, error if every run was, not_solvable otherwise.
    static func overall(_ statuses: [Verdict.Status]) -> Verdict.Status {
        if statuses.contains(.solvable) { return .solvable }
        if !statuses.isEmpty && statuses.allSatisfy({ $0 == .error }) { return .error }
        return .notSolvable
    }
}
