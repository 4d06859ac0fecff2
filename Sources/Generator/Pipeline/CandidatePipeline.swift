/// The state machine of one candidate task, a value tested alone (like `SessionState`): which stage
/// runs next, where a failure goes back to within the retry budgets, and every transition made.
///
/// Routing (GENERATOR.md): a failure of the pre-refactor assertions goes back to Design; a failure of
/// the post-refactor assertions, the review or execution validation goes back to Refactor; Design or
/// Refactor failing themselves re-run, and so do they when sent back, until their attempt budget is
/// spent. A failed brainstorm or publish, or a spent budget, rejects the candidate with its defects.
public struct CandidatePipeline: Sendable {
    /// Where the candidate is.
    public enum Phase: Sendable, Equatable {
        /// `stage` runs next; `attempt` counts from 1 for Design and Refactor.
        case running(GenerationStage, attempt: Int)
        case verified
        case rejected
    }

    /// What one stage's run came to.
    public enum Outcome: Sendable, Equatable {
        case passed
        /// The stage was not needed (e.g. Refactor after a designer that writes the uniform format).
        case skipped(String)
        case failed([Defect])
    }

    /// One move of the machine, as stored.
    public struct Transition: Sendable, Equatable {
        public var from: GenerationStage
        public var attempt: Int
        public var outcome: Outcome
        public var to: Phase
    }

    /// Attempts allowed for the stages that can mend a defect (the paper: ≤ 3 each).
    public struct Budget: Sendable, Equatable {
        public var designAttempts: Int
        public var refactorAttempts: Int

        public init(designAttempts: Int = 3, refactorAttempts: Int = 3) {
            self.designAttempts = max(1, designAttempts)
            self.refactorAttempts = max(1, refactorAttempts)
        }
    }

    public private(set) var phase: Phase
    public private(set) var transitions: [Transition] = []
    /// The defects of the latest failure (what the next Design or Refactor attempt is asked to mend).
    public private(set) var openDefects: [Defect] = []
    /// Every defect ever found, in order.
    public private(set) var allDefects: [Defect] = []
    public let budget: Budget
    private var attempts: [GenerationStage: Int] = [:]

    /// A candidate starts at `stage` (Design when the brainstorm happened for the whole dataset).
    public init(budget: Budget = Budget(), startingAt stage: GenerationStage = .brainstorm) {
        self.budget = budget
        attempts[stage] = 1
        phase = .running(stage, attempt: 1)
    }

    /// The stage to run now, nil when the candidate is verified or rejected.
    public var stage: GenerationStage? {
        if case .running(let stage, _) = phase { return stage }
        return nil
    }

    public var isFinished: Bool { stage == nil }

    /// How many times `stage` has run (or is running).
    public func attemptsUsed(_ stage: GenerationStage) -> Int { attempts[stage] ?? 0 }

    /// Records the outcome of the stage now running and moves on. Recording when finished is a
    /// programming error reported by the return value (nil), never a crash.
    @discardableResult
    public mutating func record(_ outcome: Outcome) -> Transition? {
        guard case .running(let stage, let attempt) = phase else { return nil }
        let to: Phase
        switch outcome {
        case .passed, .skipped:
            openDefects = []
            to = stage.next.map { enter($0) } ?? .verified
        case .failed(let defects):
            openDefects = defects
            allDefects += defects
            to = retry(after: stage)
        }
        phase = to
        let transition = Transition(from: stage, attempt: attempt, outcome: outcome, to: to)
        transitions.append(transition)
        return transition
    }

    /// The stage that mends a failure of `stage`, if any.
    static func mender(of stage: GenerationStage) -> GenerationStage? {
        switch stage {
        case .design, .assertionsPre: .design
        case .refactor, .assertionsPost, .review, .executionValidation: .refactor
        case .brainstorm, .publish: nil
        }
    }

    private func limit(of stage: GenerationStage) -> Int {
        switch stage {
        case .design: budget.designAttempts
        case .refactor: budget.refactorAttempts
        default: 1
        }
    }

    private mutating func retry(after stage: GenerationStage) -> Phase {
        guard let mender = Self.mender(of: stage), attemptsUsed(mender) < limit(of: mender) else { return .rejected }
        return enter(mender)
    }

    private mutating func enter(_ stage: GenerationStage) -> Phase {
        let attempt = attemptsUsed(stage) + 1
        attempts[stage] = attempt
        return .running(stage, attempt: attempt)
    }
}
