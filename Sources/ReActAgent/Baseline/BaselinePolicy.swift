import Wire

/// The LLM-free policy: reads the task (overview, data structure, sample submission, metric,
/// metadata), runs a linear solution and a gradient-boosting one, falls back to a prior/median
/// submission only if both fail, and finishes; the server keeps the better of the two by the
/// in-episode score. When steps are short it skips reading before it skips running code.
public actor BaselinePolicy: AgentPolicy {
    public nonisolated let name = "baseline"
    public nonisolated let model: String? = nil
    let scripts: SolutionScripts
    public private(set) var profile = TaskProfile()
    private var infoRead: Set<String> = []
    /// Each variant run so far and its graded score (nil when it produced no valid submission).
    public private(set) var tried: [(variant: SolutionScripts.Variant, score: Double?)] = []

    /// The information read, most useful first (dropped from the end when steps are short).
    static let infoPlan = ["sample_submission", "metric", "overview", "data_structure", "metadata"]
    /// The order the information is read in, when there are steps for all of it.
    static let readingOrder = ["overview", "data_structure", "sample_submission", "metric", "metadata"]

    public init(scripts: SolutionScripts) {
        self.scripts = scripts
    }

    public func decide(_ context: DecisionContext) async -> PolicyDecision {
        absorb(context.lastAction, context.lastObservation)
        let action: AgentAction
        let reasoning: String
        let codeRuns = pendingVariants()
        if codeRuns.isEmpty {
            action = .finish
            reasoning = finishReasoning()
        } else if let info = nextInfo(stepsLeft: context.remaining.stepsLeft, codeRunsLeft: codeRuns.count) {
            action = .requestInfo(infoType: info)
            reasoning = Self.infoReasoning[info] ?? "Read \(info)."
        } else {
            let variant = codeRuns[0]
            do {
                action = .executeCode(code: try scripts.solution(variant, profile: profile))
            } catch {
                return PolicyDecision(outcome: .failure(.model("baseline script template: \(error)")), reply: "")
            }
            reasoning = runReasoning(variant)
        }
        let reply = Self.reply(reasoning: reasoning, action: action)
        return PolicyDecision(outcome: .action(action, reasoning: reasoning), reply: reply)
    }

    /// The reply in the format the LLM policy uses: reasoning, then one ```json block.
    static func reply(reasoning: String, action: AgentAction) -> String {
        "Reasoning: \(reasoning)\n```json\n\(action.json.encodedString())\n```"
    }

    /// Learns from the last action's answer. An action the server refused (no observation) counts as
    /// tried too, so a refused request is never asked again: asking for an overview a task lacks used
    /// to burn the whole budget.
    private func absorb(_ action: AgentAction?, _ observation: ObservationView?) {
        guard let action else { return }
        switch action {
        case .requestInfo(let infoType):
            infoRead.insert(infoType)
            if let content = observation?.infoContent { profile.absorb(infoType: infoType, content: content) }
        case .executeCode:
            if let variant = pendingVariants().first { tried.append((variant, observation?.submissionScore)) }
        default:
            break
        }
    }

    /// Variants still to run: linear, then boosting; the fallback only when both gave nothing.
    func pendingVariants() -> [SolutionScripts.Variant] {
        let done = Set(tried.map(\.variant))
        var pending = [SolutionScripts.Variant.linear, .boosting].filter { !done.contains($0) }
        if pending.isEmpty, !done.contains(.fallback), tried.allSatisfy({ $0.score == nil }) { pending = [.fallback] }
        return pending
    }

    /// The next info type to read, if the steps left cover it and every code run still to come.
    func nextInfo(stepsLeft: Int, codeRunsLeft: Int) -> String? {
        let unread = Self.infoPlan.filter { !infoRead.contains($0) }
        let affordable = max(0, stepsLeft - codeRunsLeft)
        guard affordable > 0, tried.isEmpty else { return nil }
        let chosen = Set(unread.prefix(affordable))
        return Self.readingOrder.first { chosen.contains($0) }
    }

    /// The best variant so far by the in-episode score, in the metric's direction.
    public var bestVariant: (variant: SolutionScripts.Variant, score: Double)? {
        let scored = tried.compactMap { entry in entry.score.map { (entry.variant, $0) } }
        let higher = profile.higherIsBetter ?? true
        return scored.max { higher ? $0.1 < $1.1 : $0.1 > $1.1 }
    }

    static let infoReasoning = [
        "overview": "Start by reading the task description: the objective, the files and the metric.",
        "data_structure": "List the data files to see what the training and test data look like.",
        "sample_submission": "Read the sample submission: its header gives the id and target columns to predict.",
        "metric": "Check the metric and its direction (and the reference scores) to choose between labels, probabilities and values.",
        "metadata": "Read the metadata for the task type and modality (tabular, text, time series).",
    ]

    private func runReasoning(_ variant: SolutionScripts.Variant) -> String {
        let kind = profile.isText ? "text" : (profile.taskType.isEmpty ? "tabular" : "\(profile.taskType) tabular")
        switch variant {
        case .linear:
            return "This is a \(kind) task scored by \(profile.metric.isEmpty ? "the task's metric" : profile.metric). "
                + "First a solid linear baseline: imputation, one-hot categoricals, TF-IDF for free text, calendar and lag features for dates; "
                + "it writes submission.csv in the sample's format."
        case .boosting:
            let previous = tried.last?.score.map { "The linear model scored \(PromptLibrary.score($0)). " } ?? "The linear model gave no valid submission. "
            return previous + "Now a stronger variant: gradient boosting with native categoricals (word and character TF-IDF for text); the better score counts."
        case .fallback:
            return "Both models failed to produce a valid submission; submit the class prior or the median so the pipeline still ends with a valid file."
        }
    }

    private func finishReasoning() -> String {
        guard let best = bestVariant else { return "No variant produced a valid submission; stop here." }
        let others = tried.filter { $0.variant != best.variant }.map { entry in
            "\(entry.variant.rawValue) \(entry.score.map(PromptLibrary.score) ?? "invalid")"
        }
        return "The \(best.variant.rawValue) variant is best with \(PromptLibrary.score(best.score))"
            + (others.isEmpty ? "" : " (vs \(others.joined(separator: ", ")))") + "; it is the submission that counts. Finish."
    }
}
