import ArgumentParser

/// `mledojo eval curves`: runs `python -m mledojo.evaluation curves` on the results database.
struct EvalCurvesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curves",
        abstract: "Best-so-far step curves of the execute_code scores, normalised per task, averaged per category.",
        discussion: """
            Best-so-far step curves: per task and model the execute_code step scores, direction-flipped, min-max normalised per task, carried forward, running maximum over 10 steps, averaged per category. Arguments: --db PATH [--set SET] [--by modality|source] [--json]. \
            The arguments are passed to `python -m mledojo.evaluation curves` as they are; exit status 2 on bad input.
            """)

    @OptionGroup var python: EvaluationPython
    @Argument(parsing: .allUnrecognized, help: "Arguments for `python -m mledojo.evaluation curves`.")
    var arguments: [String] = []

    func run() throws {
        try python.run("curves", arguments)
    }
}
