import Foundation
import Wire

/// Plays one episode: reset, then turns of decide → act → observe driven by `EpisodeMachine`, then
/// close. Every failure ends the episode with a reason; nothing here crashes or hangs (each server
/// request has a timeout, each model call the episode's deadline).
public struct EpisodeRunner: Sendable {
    public let env: EnvClient
    public let policy: any AgentPolicy
    public let prompts: PromptLibrary
    public let limits: EpisodeLimits
    /// Called after every turn (for progress lines).
    public var progress: @Sendable (StepProgress) -> Void = { _ in }
    /// Called with every finished turn, in order (to store it at once).
    public var onTurn: @Sendable (TurnRecord) async -> Void = { _ in }
    /// The split in-episode scores use (sent with `reset`).
    public var scoreSplit: ScoreSplit = .public

    public init(env: EnvClient, policy: any AgentPolicy, prompts: PromptLibrary, limits: EpisodeLimits) {
        self.env = env
        self.policy = policy
        self.prompts = prompts
        self.limits = limits
    }

    /// Tokens kept free for the reply when fitting the conversation.
    var replyReserveTokens: Int { min(4096, limits.contextTokens / 4) }

    public func run(task: TaskListing) async -> EpisodeResult {
        let start = ContinuousClock.now
        let deadline = start.adding(seconds: limits.timeLimitSeconds)
        var result = EpisodeResult(task: task.id)
        let facts = PromptLibrary.TaskFacts(task: task.id, metric: task.metric, higherIsBetter: task.higherIsBetter, maxSteps: limits.maxSteps,
                                            timeLimitSeconds: limits.timeLimitSeconds, execTimeoutSeconds: limits.execTimeoutSeconds,
                                            actionFormat: policy.actionFormat)
        let session: String
        var state: LoopState
        do {
            result.systemPrompt = try prompts.systemPrompt(facts)
            let budget = Budget(maxSteps: limits.maxSteps, timeLimitSeconds: limits.timeLimitSeconds, execTimeoutSeconds: limits.execTimeoutSeconds)
            let reset = try await env.reset(task: task.id, budget: budget, scoreSplit: scoreSplit)
            session = reset.session
            result.session = session
            let machine = EpisodeMachine(limits: limits, higherIsBetter: task.higherIsBetter)
            let rendered = ObservationFormatter.render(reset.observation, limit: limits.observationCharacters)
            let remaining = machine.remaining(elapsedSeconds: start.secondsElapsed)
            state = LoopState(machine: machine,
                              pending: try prompts.firstTurnPrompt(facts, observation: rendered.full, remaining: remaining),
                              pendingCompact: try prompts.firstTurnPrompt(facts, observation: rendered.compact, remaining: remaining))
        } catch {
            result.setupFailure = "\(error)"
            result.seconds = start.secondsElapsed
            return result
        }

        while true {
            let elapsed = start.secondsElapsed
            state.apply(.decide(elapsedSeconds: elapsed))
            if state.machine.isFinished { break }
            let messages = ConversationWindow.fit(system: result.systemPrompt, turns: state.window, pending: state.pending,
                                                  compactPending: state.pendingCompact, budgetTokens: limits.contextTokens - replyReserveTokens)
            let context = DecisionContext(turn: state.turn + 1, messages: messages, lastObservation: state.lastObservation,
                                          lastAction: state.lastAction, remaining: state.machine.remaining(elapsedSeconds: elapsed), deadline: deadline)
            let turnStarted = Date()
            let decision = await policy.decide(context)
            var record = TurnRecord(turn: state.turn + 1, startedAt: turnStarted, prompt: messages, userMessage: state.pending, reply: decision.reply,
                                    repairs: decision.repairs, usage: decision.usage, costUSD: decision.costUSD,
                                    modelSeconds: decision.modelSeconds, retries: decision.retries)
            state.turn += 1
            switch decision.outcome {
            case .failure(let failure):
                state.apply(.decisionFailed(failure, tokens: decision.usage.totalTokens))
                record.error = state.machine.endReason?.description
            case .action(let action, let reasoning):
                record.action = action
                record.reasoning = reasoning
                state.apply(.decided(action: action.name, tokens: decision.usage.totalTokens))
                if let sent = action.protocolAction {
                    await act(action, sending: sent, reply: decision.reply, session: session, record: &record, state: &state, result: &result, start: start)
                }
            }
            result.usage += decision.usage
            result.costUSD += decision.costUSD
            result.turns.append(record)
            await onTurn(record)
            progress(StepProgress(
                task: task.id, turn: record.turn, stepsUsed: state.machine.stepsUsed, maxSteps: limits.maxSteps,
                action: record.action?.name ?? "(no action)", outcome: outcomeText(record),
                score: record.score, best: state.machine.bestScore, seconds: start.secondsElapsed,
                tokens: result.usage.totalTokens))
            if state.machine.isFinished { break }
        }

        do {
            let closed = try await env.close(session: session)
            result.final = closed.final
        } catch {
            result.closeError = "\(error)"
        }
        result.endReason = state.machine.endReason
        result.stepsUsed = state.machine.stepsUsed
        result.bestScore = result.final?["best_raw_score"]?.numberValue ?? state.machine.bestScore
        result.normalizedScore = result.final?["best_normalized_score"]?.numberValue
        result.seconds = start.secondsElapsed
        return result
    }

    /// Sends the action to the server and feeds the outcome to the machine and the next prompt.
    private func act(_ action: AgentAction, sending sent: Action, reply: String, session: String, record: inout TurnRecord, state: inout LoopState,
                     result: inout EpisodeResult, start: ContinuousClock.Instant) async {
        let envStart = ContinuousClock.now
        let sendsCode = sent.runsCode || sent == .evaluate
        do {
            let observation = try await env.step(session: session, action: sent, params: action.params,
                                                 execTimeoutSeconds: limits.execTimeoutSeconds)
            record.envSeconds = envStart.secondsElapsed
            record.observation = observation
            if sendsCode { result.codeReachedServer = true }
            if observation.submissionScore != nil && sent != .validateCode { result.gradedSubmissions += 1 }
            state.apply(.observed(stepsUsed: observation.stepsUsed, score: observation.submissionScore, truncated: observation.truncated))
            let rendered = ObservationFormatter.render(observation, limit: limits.observationCharacters)
            record.observationText = rendered.full
            state.advance(reply: reply, action: action, observation: observation,
                          next: nextPrompts(action: action, text: rendered, state: state, start: start))
        } catch {
            record.envSeconds = envStart.secondsElapsed
            record.error = error.description
            switch error {
            case .server(let code, let message):
                // TIMEOUT and INTERNAL come after the step started: it was used.
                if sendsCode && (code == "TIMEOUT" || code == "INTERNAL") { result.codeReachedServer = true }
                state.apply(.rejected(code: code))
                let note = (try? prompts.rejectedNote(code: code, message: message)) ?? "\(code): \(message)"
                let text = ObservationFormatter.Rendered(full: note, compact: note)
                state.advance(reply: reply, action: action, observation: nil,
                              next: nextPrompts(action: action, text: text, state: state, start: start))
            case .timeout:
                _ = try? await env.cancel(session: session)
                state.apply(.environmentFailed(error.description))
            default:
                state.apply(.environmentFailed(error.description))
            }
        }
    }

    private func nextPrompts(action: AgentAction, text: ObservationFormatter.Rendered, state: LoopState,
                             start: ContinuousClock.Instant) -> (full: String, compact: String) {
        let remaining = state.machine.remaining(elapsedSeconds: start.secondsElapsed)
        let step = state.machine.stepsCharged
        let full = (try? prompts.turnPrompt(step: step, action: action.name, observation: text.full, remaining: remaining)) ?? text.full
        let compact = (try? prompts.turnPrompt(step: step, action: action.name, observation: text.compact, remaining: remaining)) ?? text.compact
        return (full, compact)
    }

    private func outcomeText(_ record: TurnRecord) -> String {
        if let observation = record.observation {
            var parts = [observation.json["action_status"]?.stringValue ?? "?"]
            if let status = observation.executionStatus, status != "SUCCESS" { parts.append("run \(status)") }
            if let status = observation.submissionStatus, status != "SUCCESS" { parts.append("submission \(status)") }
            if !record.repairs.isEmpty { parts.append("after \(record.repairs.count) repair prompt(s)") }
            return parts.joined(separator: ", ")
        }
        if record.action == .finish { return "done" }
        return record.error.map { TextCutter.cut($0, limit: 160) } ?? "no observation"
    }
}
