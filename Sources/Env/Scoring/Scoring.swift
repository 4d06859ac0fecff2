/// What the trusted grader said about one submission.
public struct GradeReport: Sendable, Equatable {
    public var valid: Bool
    public var errorType: String?
    public var error: String?
    public var full: Double?
    public var publicSlice: Double?
    public var privateSlice: Double?

    public init(valid: Bool, errorType: String? = nil, error: String? = nil,
                full: Double? = nil, publicSlice: Double? = nil, privateSlice: Double? = nil) {
        self.valid = valid
        self.errorType = errorType
        self.error = error
        self.full = full
        self.publicSlice = publicSlice
        self.privateSlice = privateSlice
    }
}

/// The scores of one valid submission, derived from its raw scores.
public struct SubmissionScore: Sendable, Codable, Equatable {
    /// The in-episode raw score (public slice, or all rows with `score_split: full`).
    public var raw: Double
    public var position: Double?
    public var normalized: Double?
    public var full: Double?
    public var publicSlice: Double?
    public var privateSlice: Double?

    /// Position score where the task has leaderboards, else the normalised score: MLE-Dojo's `*_position_score` keys.
    public var positionOrNormalized: Double? { position ?? normalized }
}

/// Turns raw metric values into position scores, normalised scores and rewards for one task.
public struct ScoreCalculator: Sendable {
    public let higherIsBetter: Bool
    public let leaderboards: [String: [Double]]
    public let random: Double?
    public let bestKnown: Double?
    public let baseline: Double?
    /// The task's medal thresholds (its leaderboard, else its reference scores); nil when it has neither.
    public let medalLadder: MedalLadder?

    public init(task: CompetitionTask) {
        self.init(higherIsBetter: task.higherIsBetter, leaderboards: task.leaderboards,
                  random: task.referenceScores.random, bestKnown: task.referenceScores.bestKnown,
                  baseline: task.referenceScores.baseline)
    }

    public init(higherIsBetter: Bool, leaderboards: [String: [Double]], random: Double?, bestKnown: Double?, baseline: Double? = nil) {
        self.higherIsBetter = higherIsBetter
        self.leaderboards = leaderboards
        self.random = random
        self.bestKnown = bestKnown
        self.baseline = baseline
        medalLadder = MedalLadder.of(leaderboards: leaderboards, higherIsBetter: higherIsBetter, baseline: baseline,
                                     random: random, bestKnown: bestKnown)
    }

    /// The submission's scores, or nil when it is invalid or its in-episode score is not a finite number.
    public func score(_ report: GradeReport, split: ScoreSplit) -> SubmissionScore? {
        guard report.valid, let raw = split == .full ? report.full : report.publicSlice, raw.isFinite else { return nil }
        return SubmissionScore(raw: raw, position: position(raw), normalized: normalized(raw),
                               full: report.full, publicSlice: report.publicSlice, privateSlice: report.privateSlice)
    }

    /// Mean position over the task's leaderboards (public and private, as MLE-Dojo), nil without any.
    public func position(_ raw: Double) -> Double? {
        let positions = leaderboards.sorted { $0.key < $1.key }.compactMap {
            Leaderboard.positionScore(raw, board: $0.value, higherIsBetter: higherIsBetter)
        }
        guard !positions.isEmpty else { return nil }
        return positions.reduce(0, +) / Double(positions.count)
    }

    /// 0 at the random sample submission's score, 1 at the best known score; direction-aware by construction.
    public func normalized(_ raw: Double) -> Double? {
        guard let random, let bestKnown, bestKnown != random, raw.isFinite else { return nil }
        return (raw - random) / (bestKnown - random)
    }

    /// The medal a raw score reaches on the task's ladder; nil when the task has no ladder.
    public func medal(_ raw: Double) -> Medal? { medalLadder?.medal(raw) }

    /// True when `candidate` beats `incumbent` in the metric's direction. Non-finite scores never win.
    public func isBetter(_ candidate: Double, than incumbent: Double?) -> Bool {
        guard candidate.isFinite else { return false }
        guard let incumbent, incumbent.isFinite else { return true }
        return higherIsBetter ? candidate > incumbent : candidate < incumbent
    }

    /// The reward of a graded submission under `mode`, given the best score before it (protocol.md section 5's table).
    public func reward(_ mode: RewardMode, score: SubmissionScore, previousBest: SubmissionScore?) -> Double {
        switch mode {
        case .position: return score.positionOrNormalized ?? 0
        case .normalized: return score.normalized ?? 0
        case .raw: return higherIsBetter ? score.raw : -score.raw
        case .delta:
            guard let now = score.normalized ?? score.position else { return 0 }
            let before = previousBest.flatMap { $0.normalized ?? $0.position } ?? 0
            return max(0, now - before)
        case .medal: return medal(score.raw)?.reward ?? 0
        }
    }
}
