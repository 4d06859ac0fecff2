/// The ReAct loop's state as an explicit state machine: pure value logic, no I/O, so each transition
/// is tested alone. The runner feeds it events and does what its phase says.
///
///     awaitingDecision --decide--> deciding --decided--> acting --observed/rejected--> awaitingDecision
///            |                        |                    |
///            +-- budget spent --------+-- finish/failure ---+-- environment failure --> finished(reason)
public struct EpisodeMachine: Sendable, Equatable {
    /// Where the loop is.
    public enum Phase: Sendable, Equatable {
        /// Waiting for the runner to ask the policy (budgets are checked here).
        case awaitingDecision
        /// The policy (the model) is choosing an action.
        case deciding
        /// The named action is in flight on the server.
        case acting(String)
        case finished(EndReason)
    }

    /// Events the runner reports.
    public enum Event: Sendable, Equatable {
        /// Ask for the next decision, `elapsedSeconds` into the episode.
        case decide(elapsedSeconds: Double)
        /// The policy chose an action (`finish` included), spending `tokens`.
        case decided(action: String, tokens: Int)
        /// The policy gave no usable action.
        case decisionFailed(DecisionFailure, tokens: Int)
        /// The server answered the action with an observation.
        case observed(stepsUsed: Int?, score: Double?, truncated: Bool)
        /// The server refused the action before running it (an error reply with this code).
        case rejected(code: String)
        /// The server could not be reached or failed.
        case environmentFailed(String)
    }

    public let limits: EpisodeLimits
    public let higherIsBetter: Bool
    public private(set) var phase: Phase = .awaitingDecision
    /// Steps the server counted.
    public private(set) var stepsUsed = 0
    /// Actions the server refused without using a step (they count against the agent's step budget);
    /// a TIMEOUT or INTERNAL reply is not one of them: the server used that step.
    public private(set) var rejectedActions = 0
    public private(set) var tokensUsed = 0
    public private(set) var elapsedSeconds = 0.0
    /// Decisions made (one per turn), `finish` included.
    public private(set) var turns = 0
    public private(set) var bestScore: Double?

    public init(limits: EpisodeLimits, higherIsBetter: Bool) {
        self.limits = limits
        self.higherIsBetter = higherIsBetter
    }

    public var isFinished: Bool { if case .finished = phase { return true }; return false }
    public var endReason: EndReason? { if case .finished(let reason) = phase { return reason }; return nil }
    /// Steps charged against the agent's budget: the server's steps plus refused actions.
    public var stepsCharged: Int { stepsUsed + rejectedActions }

    /// What is left, `elapsedSeconds` into the episode.
    public func remaining(elapsedSeconds: Double) -> RemainingBudget {
        RemainingBudget(
            stepsLeft: max(0, limits.maxSteps - stepsCharged), maxSteps: limits.maxSteps,
            secondsLeft: max(0, limits.timeLimitSeconds - elapsedSeconds), timeLimitSeconds: limits.timeLimitSeconds,
            tokensLeft: limits.maxTokens.map { max(0, $0 - tokensUsed) }, bestScore: bestScore)
    }

    /// Ends the episode at once, whatever the phase (used when the runner itself fails).
    public mutating func abort(_ reason: EndReason) {
        if !isFinished { phase = .finished(reason) }
    }

    /// Applies one event; an event that makes no sense in the current phase is a typed error and changes nothing.
    @discardableResult
    public mutating func apply(_ event: Event) throws(EpisodeMachineError) -> Phase {
        switch (phase, event) {
        case (.awaitingDecision, .decide(let elapsed)):
            elapsedSeconds = max(elapsedSeconds, elapsed)
            if stepsCharged >= limits.maxSteps { phase = .finished(.stepBudgetSpent) }
            else if elapsedSeconds >= limits.timeLimitSeconds { phase = .finished(.timeBudgetSpent) }
            else if let maxTokens = limits.maxTokens, tokensUsed >= maxTokens { phase = .finished(.tokenBudgetSpent) }
            else { phase = .deciding }
        case (.deciding, .decided(let action, let tokens)):
            tokensUsed += max(0, tokens)
            turns += 1
            phase = action == AgentAction.finishName ? .finished(.policyFinished) : .acting(action)
        case (.deciding, .decisionFailed(let failure, let tokens)):
            tokensUsed += max(0, tokens)
            turns += 1
            phase = .finished(failure.endReason)
        case (.acting, .observed(let serverSteps, let score, let truncated)):
            stepsUsed = max(stepsUsed + 1, serverSteps ?? 0)
            if let score, score.isFinite, bestScore.map({ higherIsBetter ? score > $0 : score < $0 }) ?? true {
                bestScore = score
            }
            if stepsCharged >= limits.maxSteps { phase = .finished(.stepBudgetSpent) }
            else if truncated { phase = .finished(.serverBudgetSpent) }
            else { phase = .awaitingDecision }
        case (.acting, .rejected(let code)):
            switch code {
            case "BUDGET_EXHAUSTED": phase = .finished(.serverBudgetSpent)
            case "SESSION_CLOSED", "NO_SUCH_SESSION", "NO_SUCH_TASK", "UNSUPPORTED_VERSION":
                phase = .finished(.environmentFailed("the server refused the session: \(code)"))
            case "TIMEOUT", "INTERNAL":
                // Raised after the step started: the server used and recorded it (protocol.md §3), so it
                // is one of the server's steps, charged once, not a refusal on top of them.
                stepsUsed += 1
                phase = stepsCharged >= limits.maxSteps ? .finished(.stepBudgetSpent) : .awaitingDecision
            default:
                rejectedActions += 1
                phase = stepsCharged >= limits.maxSteps ? .finished(.stepBudgetSpent) : .awaitingDecision
            }
        case (.acting, .environmentFailed(let message)), (.awaitingDecision, .environmentFailed(let message)):
            phase = .finished(.environmentFailed(message))
        default:
            throw EpisodeMachineError(phase: phase, event: event)
        }
        return phase
    }
}

/// An event the machine cannot accept in its current phase.
public struct EpisodeMachineError: Error, Sendable, Equatable, CustomStringConvertible {
    public let phase: EpisodeMachine.Phase
    public let event: EpisodeMachine.Event
    public var description: String { "event \(event) is not valid in phase \(phase)" }
}
