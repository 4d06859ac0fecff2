import Wire

/// A reference player with no model: asks where the data is, runs one `execute_code` that copies the
/// task's sample_submission.csv to submission.csv, then finishes. Its score is the task's random
/// reference, so in an evaluation it is the floor every real model should beat.
public actor SampleSubmissionPolicy: AgentPolicy {
    public nonisolated let name = "sample"
    public nonisolated let model: String? = nil
    let scripts: SolutionScripts
    private var dataPath = "/data"
    private var asked = false
    private var submitted = false

    public init(scripts: SolutionScripts) {
        self.scripts = scripts
    }

    public func decide(_ context: DecisionContext) async -> PolicyDecision {
        if context.lastAction == .requestInfo(infoType: "data_path"),
           let path = context.lastObservation?.infoContent?.stringValue, path.hasPrefix("/") {
            dataPath = path
        }
        let action: AgentAction
        let reasoning: String
        if !asked && !submitted && context.remaining.stepsLeft >= 2 {
            asked = true
            action = .requestInfo(infoType: "data_path")
            reasoning = "Ask where the task's data is mounted."
        } else if !submitted {
            submitted = true
            do {
                action = .executeCode(code: try scripts.randomReferenceScript(dataPath: dataPath))
            } catch {
                return PolicyDecision(outcome: .failure(.model("sample script template: \(error)")), reply: "")
            }
            reasoning = "Submit the task's sample submission as is (the random reference)."
        } else {
            action = .finish
            reasoning = "The sample submission is in; finish."
        }
        return PolicyDecision(outcome: .action(action, reasoning: reasoning),
                              reply: BaselinePolicy.reply(reasoning: reasoning, action: action))
    }
}
