/// One planned run of an evaluation: a model on a task, the n-th time (`run_key` '<model>/<task>/<n>').
public struct EvalKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var model: String
    public var task: String
    /// 1-based.
    public var runIndex: Int

    public init(model: String, task: String, runIndex: Int) {
        self.model = model
        self.task = task
        self.runIndex = runIndex
    }

    /// The primary key of `eval_runs`.
    public var runKey: String { "\(model)/\(task)/\(runIndex)" }
    public var description: String { runKey }

    public static func < (lhs: EvalKey, rhs: EvalKey) -> Bool {
        (lhs.runIndex, lhs.task, lhs.model) < (rhs.runIndex, rhs.task, rhs.model)
    }

    /// Every model on every task, `runs` times: first run of everything first, so a cut-short
    /// evaluation still has one run of each pair; models alternate so concurrent runs share tasks' load.
    public static func plan(models: [String], tasks: [String], runs: Int) -> [EvalKey] {
        guard runs >= 1 else { return [] }
        var keys: [EvalKey] = []
        for run in 1...runs {
            for task in tasks {
                for model in models { keys.append(EvalKey(model: model, task: task, runIndex: run)) }
            }
        }
        return keys
    }
}
