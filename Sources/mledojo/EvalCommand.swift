import ArgumentParser

/// `mledojo eval`: play models on tasks into a results database, then rank them (Elo), compare rankings
/// (agreement), draw step curves and write a report.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate models on tasks: play them (run), then Elo, agreement, step curves and a report from the results database.",
        discussion: """
            `eval run` plays every model on every task --runs times with the ReAct agent and writes the results database \
            (protocol/evaluation.md, default var/eval.sqlite); it resumes: finished runs are never played again. \
            `eval elo|agreement|curves|report` read that database with `python -m mledojo.evaluation` \
            (best of the runs per model and task, Bradley-Terry Elo with bootstrap intervals, as MLE-Smith ranks models).
            """,
        subcommands: [EvalRunCommand.self, EvalEloCommand.self, EvalAgreementCommand.self, EvalCurvesCommand.self,
                      EvalReportCommand.self])
}
