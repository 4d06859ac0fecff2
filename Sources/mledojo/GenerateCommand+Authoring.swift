import ArgumentParser
import Env
import Foundation
import Generator
import ReActAgent

extension GenerateCommand {
    /// Who writes the candidates and how their code is run: the built-in designer with the host's Python,
    /// or the LLM agents, whose code (and every check that imports it) runs in the sandbox.
    struct Authoring {
        var author: any CandidateAuthor
        /// Runs the checks, prepare and the review probes: confined to the sandbox for LLM-written packages.
        var checks: PythonModule
        var validatorPolicy: AgentSettings.PolicyChoice
        var sandboxed: Bool
    }

    func authoring(runID: String, python: PythonModule, store: GenerationStore, resources: AgentResources) async throws -> Authoring {
        let policy: AgentSettings.PolicyChoice = validator == .llm
            ? .llm(try endpoint.endpoint(actionFormat: agentFormat == .json ? .json : .tools, sendsActionSchema: agentFormat == .json))
            : .baseline
        guard designer == .llm else {
            return Authoring(author: BuiltinDesigner(python: python, maxCandidates: maxCandidates), checks: python,
                             validatorPolicy: policy, sandboxed: false)
        }
        let venvURL = ProjectPaths.resolve(venv)
        let shell = try await sandboxOptions.commands(venv: venvURL, runtime: python.runtime)
        let client = try OpenAIChatClient(endpoint: try endpoint.endpoint())
        let settings = ToolAgent.Settings(format: agentFormat, toolChoice: ToolChoice(option: toolChoice) ?? .required, maxSteps: agentSteps,
                                          secondsLimit: agentTimeLimit, prices: try? endpoint.priceTable(resources))
        let author = LLMAuthor(agent: ToolAgent(model: client, settings: settings), prompts: try AgentPrompts(resources: resources),
                               shell: shell, venv: venvURL, runtime: python.runtime, store: store, runID: runID,
                               maxCandidates: maxCandidates,
                               budget: .init(designAttempts: designAttempts, refactorAttempts: refactorAttempts), reviews: llmReview)
        return Authoring(author: author, checks: python.confined(by: shell), validatorPolicy: policy, sandboxed: shell.isIsolated)
    }
}

extension AgentReplyFormat: ExpressibleByArgument {}
