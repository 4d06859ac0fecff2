import ArgumentParser

/// `mledojo eval elo`: runs `python -m mledojo.evaluation elo` on the results database.
struct EvalEloCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elo",
        abstract: "Bradley-Terry Elo of the models (best of runs per task) with bootstrap intervals and rank intervals.",
        discussion: """
            Bradley-Terry Elo ratings of the models from the results database: per (model, task) the best finished run counts, every pair of models plays a game per task (the better score wins, equal ties), ratings on the Elo scale (base 10, scale 400, mean 1000) with 95 % bootstrap intervals over tasks and rank intervals. Arguments: --db PATH [--set SET] [--by modality|source] [--bootstrap N] [--seed S] [--json]. \
            The arguments are passed to `python -m mledojo.evaluation elo` as they are; exit status 2 on bad input.
            """)

    @OptionGroup var python: EvaluationPython
    @Argument(parsing: .allUnrecognized, help: "Arguments for `python -m mledojo.evaluation elo`.")
    var arguments: [String] = []

    func run() throws {
        try python.run("elo", arguments)
    }
}
