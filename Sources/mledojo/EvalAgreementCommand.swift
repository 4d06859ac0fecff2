import ArgumentParser

/// `mledojo eval agreement`: runs `python -m mledojo.evaluation agreement` on the results database.
struct EvalAgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Agreement between Elo sets (per source or modality, or a CSV): r, R², ρ, τ-b, CCC, top-k, Bland-Altman, α, ICC.",
        discussion: """
            Agreement between Elo sets (one per task source or modality with --db ... --by, or the columns of --csv FILE): Pearson r, R², Spearman ρ, Kendall τ-b, Lin's CCC, top-k overlap, Bland-Altman bias and limits; Cronbach's α and ICC(2,1) for three or more sets. Arguments: (--csv FILE | --db PATH --by source|modality [--set SET]) [--json]. \
            The arguments are passed to `python -m mledojo.evaluation agreement` as they are; exit status 2 on bad input.
            """)

    @OptionGroup var python: EvaluationPython
    @Argument(parsing: .allUnrecognized, help: "Arguments for `python -m mledojo.evaluation agreement`.")
    var arguments: [String] = []

    func run() throws {
        try python.run("agreement", arguments)
    }
}
