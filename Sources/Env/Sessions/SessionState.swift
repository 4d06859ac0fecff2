import Foundation

/// The life of one session as an explicit state machine: idle ⇄ running, then closed.
/// Pure value logic (no I/O), so every transition is tested alone; the registry applies it.
public struct SessionState: Sendable, Codable, Equatable {
    public enum Phase: Sendable, Codable, Equatable {
        case idle
        case running(action: Action)
        case closed
    }

    public let sessionID: String
    public let taskID: String
    public let budget: Budget
    public let scoreSplit: ScoreSplit
    public let rewardMode: RewardMode
    public let createdAt: Date
    /// Limits of each code run in this session.
    public let limits: RunLimits
    /// The uid the session's sandbox runs as on the host (nil: the server's own).
    public let sandboxUID: UInt32?
    /// Runs share one persistent Python process (and its globals) instead of a fresh one each.
    public let persistentKernel: Bool
    /// Stored optional so sessions stored before `invalid_penalty` existed still load (as 0).
    private let storedInvalidPenalty: Double?
    /// What a submission the grader refuses pays, negated (reset's `invalid_penalty`, 0...1).
    public var invalidPenalty: Double { storedInvalidPenalty ?? 0 }
    public private(set) var phase: Phase = .idle
    public private(set) var stepsUsed = 0
    public private(set) var actionCount = 0
    public private(set) var lastAction: Action?
    public private(set) var nextSequence = 1
    public private(set) var current: SubmissionScore?
    public private(set) var best: SubmissionScore?
    public private(set) var totalReward = 0.0

    public init(sessionID: String, taskID: String, budget: Budget, scoreSplit: ScoreSplit, rewardMode: RewardMode,
                createdAt: Date, limits: RunLimits = .serverDefault, sandboxUID: UInt32? = nil, persistentKernel: Bool = false,
                invalidPenalty: Double = 0) {
        self.sessionID = sessionID
        self.taskID = taskID
        self.budget = budget
        self.scoreSplit = scoreSplit
        self.rewardMode = rewardMode
        self.createdAt = createdAt
        self.limits = limits
        self.sandboxUID = sandboxUID
        self.persistentKernel = persistentKernel
        storedInvalidPenalty = invalidPenalty
    }

    public var isClosed: Bool { phase == .closed }
    public var isRunning: Bool { if case .running = phase { return true }; return false }
    public var stepsLeft: Int { max(0, budget.maxSteps - stepsUsed) }

    public func timeLeft(at now: Date) -> Double {
        max(0, budget.timeLimitSeconds - now.timeIntervalSince(createdAt))
    }

    /// The budget is spent: no steps or no time left.
    public func isTruncated(at now: Date) -> Bool { stepsLeft == 0 || timeLeft(at: now) <= 0 }

    /// Starts an action; step actions spend a step. Returns the sequence number the step is stored under.
    public mutating func begin(_ action: Action, at now: Date) throws(EnvError) -> Int {
        switch phase {
        case .closed where action != .close:
            throw EnvError(.sessionClosed, "session \(sessionID) is closed")
        case .running(let inFlight):
            throw EnvError(.busy, "session \(sessionID) is still running '\(inFlight)'; wait for it or send cancel")
        default: break
        }
        if action.spendsStep {
            if stepsLeft == 0 {
                throw EnvError(.budgetExhausted, "all \(budget.maxSteps) steps of this session are used")
            }
            if timeLeft(at: now) <= 0 {
                throw EnvError(.budgetExhausted, "the session's time limit of \(budget.timeLimitSeconds) s has passed")
            }
            stepsUsed += 1
            actionCount += 1
            lastAction = action
            phase = .running(action: action)
        }
        defer { nextSequence += 1 }
        return nextSequence
    }

    /// Ends the action begun last; a graded submission updates the current and best scores.
    /// `rejected`: a submission was found but the grader refused it (status FAILED); it pays `-invalidPenalty`.
    /// Returns the step's reward.
    @discardableResult
    public mutating func finish(score: SubmissionScore?, rejected: Bool = false, calculator: ScoreCalculator) -> Double {
        if isRunning { phase = .idle }
        guard let score else {
            guard rejected, invalidPenalty > 0 else { return 0 }
            totalReward -= invalidPenalty
            return -invalidPenalty
        }
        let reward = calculator.reward(rewardMode, score: score, previousBest: best)
        current = score
        if calculator.isBetter(score.raw, than: best?.raw) { best = score }
        totalReward += reward
        return reward
    }

    /// Gives back the step of an action refused after it began (the server was at capacity: BUSY).
    public mutating func refundStep() {
        guard stepsUsed > 0 else { return }
        stepsUsed -= 1
        actionCount -= 1
    }

    /// Closes the session; later actions other than close and get_history get SESSION_CLOSED.
    public mutating func close() { phase = .closed }

    /// After a restart no run is in flight any more: a session stored as running becomes idle.
    public mutating func recoverAfterRestart() { if isRunning { phase = .idle } }

    /// MLE-Dojo's `history_summary` line.
    public var historySummary: String {
        "Total Actions: \(actionCount), Last Action: \(lastAction?.rawValue ?? "none")"
    }
}

/// What changes step by step, stored after every step without re-encoding the whole state.
extension SessionState {
    var progress: JSONValue {
        let phaseName: String
        switch phase {
        case .idle: phaseName = "idle"
        case .running: phaseName = "running"
        case .closed: phaseName = "closed"
        }
        return [
            "phase": .string(phaseName), "steps_used": .number(Double(stepsUsed)),
            "action_count": .number(Double(actionCount)), "last_action": .string(lastAction?.rawValue),
            "next_sequence": .number(Double(nextSequence)), "total_reward": .number(totalReward),
            "current": current.map(Self.json) ?? .null, "best": best.map(Self.json) ?? .null,
        ]
    }

    /// Applies stored progress to the state as created (a run in flight before a restart is not any more).
    mutating func restore(progress: JSONValue) {
        phase = progress["phase"]?.stringValue == "closed" ? .closed : .idle
        stepsUsed = progress["steps_used"]?.integerValue ?? 0
        actionCount = progress["action_count"]?.integerValue ?? 0
        lastAction = progress["last_action"]?.stringValue.flatMap(Action.init(rawValue:))
        nextSequence = progress["next_sequence"]?.integerValue ?? 1
        totalReward = progress["total_reward"]?.numberValue ?? 0
        current = progress["current"].flatMap(Self.score)
        best = progress["best"].flatMap(Self.score)
    }

    private static func json(_ score: SubmissionScore) -> JSONValue {
        [
            "raw": .number(score.raw), "position": .number(score.position), "normalized": .number(score.normalized),
            "full": .number(score.full), "public": .number(score.publicSlice), "private": .number(score.privateSlice),
        ]
    }

    private static func score(_ json: JSONValue) -> SubmissionScore? {
        guard let raw = json["raw"]?.numberValue else { return nil }
        return SubmissionScore(raw: raw, position: json["position"]?.numberValue, normalized: json["normalized"]?.numberValue,
                               full: json["full"]?.numberValue, publicSlice: json["public"]?.numberValue,
                               privateSlice: json["private"]?.numberValue)
    }
}
