import ArgumentParser

/// `mledojo eval report`: runs `python -m mledojo.evaluation report` on the results database.
struct EvalReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.md, report.json and PNG/SVG figures (Elo, agreement, step curves) into --out.",
        discussion: """
            A report folder: report.md and report.json (Elo per set, agreement, step curves) and PNG/SVG figures. Arguments: --db PATH --out DIR [--set SET] [--by modality|source] [--bootstrap N] [--seed S]. \
            The arguments are passed to `python -m mledojo.evaluation report` as they are; exit status 2 on bad input.
            """)

    @OptionGroup var python: EvaluationPython
    @Argument(parsing: .allUnrecognized, help: "Arguments for `python -m mledojo.evaluation report`.")
    var arguments: [String] = []

    func run() throws {
        try python.run("report", arguments)
    }
}
