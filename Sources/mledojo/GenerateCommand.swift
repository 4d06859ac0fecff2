import ArgumentParser
import Foundation
import Generator
import ReActAgent
import Wire

/// `mledojo generate`: raw datasets in, verified tasks out (and into a running server).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Turn raw datasets into verified tasks and publish them.",
        discussion: """
            For each dataset (a CSV file or a folder holding one, with its README.txt), the designer profiles the \
            columns and writes up to --max-candidates task folders in the uniform format. Each candidate then \
            passes, in order: the assertions (mledojo tasks check), the review's leakage probes (mledojo.review), \
            execution validation (the baseline agent plays it in a private server and must beat the random sample \
            submission, and the weak constant/majority reference, by the metric's margin; its score becomes the \
            baseline reference), and publish (copied atomically into --out and, with --register, registered with a \
            running server through its admin endpoint). Every stage transition is stored in --db; a JSON and \
            Markdown report per run goes to --report-dir. Exit status: 0 when at least one task was verified, 1 \
            when none, 2 on bad input.

            With --designer llm, MLE-Smith's agents do the writing over an OpenAI-compatible endpoint (--model, \
            --base-url, --api-key-env): a Brainstormer proposes 1 to --max-candidates tasks per dataset, a Designer \
            writes each package and a Refactor rewrites it into the uniform format (each at most --agent-steps tool \
            calls per attempt, --design-attempts and --refactor-attempts attempts, a failed check sending its \
            defects back), and a Reviewer judges clarity, metric fitness, leakage and shortcuts. Their tools are \
            list_directory_structure, read_file, write_file and bash, one call per turn (--agent-format tools: \
            function calling; json: JSON mode for endpoints and small models that call functions badly). bash, and \
            every check that runs the packages' code, run in the bubblewrap sandbox with no network; the packages \
            are stamped generated.designer = "llm", so a server grades them in the sandbox too. Every agent turn, \
            tool call, token count and cost is stored in --db.
            """)

    enum DesignerOption: String, ExpressibleByArgument, CaseIterable { case builtin, llm }
    enum ValidatorOption: String, ExpressibleByArgument, CaseIterable { case baseline, llm }

    @Option(name: .customLong("dataset"), parsing: .upToNextOption, help: "Datasets: CSV files or folders holding one.")
    var datasets: [String]
    @Option(help: "Who designs: builtin (no LLM) or llm.")
    var designer: DesignerOption = .builtin
    @Option(help: "Candidates per dataset at most (as many as the data supports, none forced).")
    var maxCandidates = 3
    @Option(help: "Who plays in execution validation: baseline (no LLM) or llm.")
    var validator: ValidatorOption = .baseline
    @Option(help: "Tasks folder verified tasks are published into (the one a server serves).")
    var out = "tasks"
    @Option(help: "Admin endpoint of a running server to register each published task with (see `mledojo serve --admin-bind`).")
    var register: String?
    @Option(help: "Token file for a tcp:// admin endpoint.")
    var adminTokenFile: String?
    @Option(help: "Datasets generated at once.")
    var jobs = 1
    @Flag(help: "Print the run's JSON summary instead of the table.")
    var json = false
    @Option(help: "The generation database (SQLite).")
    var db = "var/generate.sqlite"
    @Option(help: "Folder for the run's report (JSON and Markdown); default var/generate/<run id>.")
    var reportDir: String?
    @Option(help: "Folder candidates are written to before they are verified; default var/generate/<run id>/work.")
    var workDir: String?
    @Option(help: "Python virtual environment.")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package.")
    var runtime = "python"
    @OptionGroup(title: "The model (--designer llm, --validator llm)")
    var endpoint: ModelEndpointOptions
    @Option(help: "How the generator's agents write their one tool call per turn: tools (function calling) or json (JSON mode with the reply's schema).")
    var agentFormat: AgentReplyFormat = .tools
    @Option(help: "tool_choice with --agent-format tools: required, auto, or function:NAME (every turn that tool: llama-cpp-python honours only this).")
    var toolChoice = "required"
    @Option(help: "Tool calls per agent attempt (the paper: at most 30).")
    var agentSteps = 30
    @Option(help: "Wall clock of one agent attempt, in seconds.")
    var agentTimeLimit = 1800.0
    @Option(help: "Designer attempts per candidate (the paper: at most 3).")
    var designAttempts = 3
    @Option(help: "Refactor attempts per candidate (the paper: at most 3).")
    var refactorAttempts = 3
    @Flag(inversion: .prefixedNo, help: "With --designer llm: the Reviewer judges each candidate after the leakage probes.")
    var llmReview = true
    @OptionGroup(title: "The sandbox of LLM-written code")
    var sandboxOptions: SandboxOptions

    func validate() throws {
        guard !datasets.isEmpty else { throw ValidationError("name at least one --dataset") }
        guard (1...3).contains(maxCandidates) else { throw ValidationError("--max-candidates must be 1, 2 or 3") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if designer == .llm || validator == .llm {
            _ = try endpoint.endpoint()
            guard (1...100).contains(agentSteps) else { throw ValidationError("--agent-steps must be 1 to 100") }
            guard (1...5).contains(designAttempts), (1...5).contains(refactorAttempts) else {
                throw ValidationError("--design-attempts and --refactor-attempts must be 1 to 5")
            }
            let named = AgentTool.allCases.map { "function:\($0.rawValue)" }
            guard ["required", "auto"].contains(toolChoice) || named.contains(toolChoice) else {
                throw ValidationError("--tool-choice must be required, auto or one of \(named.joined(separator: ", "))")
            }
            guard agentTimeLimit > 0 else { throw ValidationError("--agent-time-limit must be positive") }
        }
        for path in datasets where !FileManager.default.fileExists(atPath: ProjectPaths.resolve(path).path) {
            throw ValidationError("no such dataset: \(path)")
        }
    }

    func run() async throws {
        let runID = TaskGenerator.newRunID()
        let reports = ProjectPaths.resolve(reportDir ?? "var/generate/\(runID)")
        let work = ProjectPaths.resolve(workDir ?? "var/generate/\(runID)/work")
        let python = PythonModule(python: ProjectPaths.resolve(venv).appending(path: "bin/python"), runtime: ProjectPaths.resolve(runtime))
        let store: GenerationStore
        let resources: AgentResources
        do {
            store = try GenerationStore(path: ProjectPaths.resolve(db).path)
            resources = try AgentResources.locate()
        } catch {
            Console.error("mledojo generate: \(error)")
            throw ExitCode(2)
        }
        let registrar: AdminRegistrar?
        do { registrar = try register.map { try AdminRegistrar(endpoint: $0, tokenFile: adminTokenFile.map { ProjectPaths.resolve($0) }) } } catch {
            Console.error("mledojo generate: \(error)")
            throw ExitCode(2)
        }
        let setup: Authoring
        do { setup = try await authoring(runID: runID, python: python, store: store, resources: resources) } catch {
            Console.error("mledojo generate: \(error)")
            throw ExitCode(2)
        }
        var generator = TaskGenerator(
            author: setup.author, assertions: .assertions(setup.checks, unvalidated: designer == .llm), review: .review(setup.checks),
            validator: ExecutionValidator(python: setup.checks, venv: ProjectPaths.resolve(venv), resources: resources,
                                          trajectories: reports.appending(path: "agent.sqlite").path, policy: setup.validatorPolicy),
            publisher: Publisher(tasksFolder: ProjectPaths.resolve(out), register: registrar.map { registrar in { @Sendable url in try registrar.register(url) } }),
            store: store, runID: runID, workFolder: work)
        let quiet = json
        generator.progress = { line in if quiet { Console.error(line) } else { Console.line(line) } }
        let settings: JSONValue = [
            "datasets": .array(datasets.map { .string($0) }), "designer": .string(designer.rawValue), "validator": .string(validator.rawValue),
            "max_candidates": .number(Double(maxCandidates)), "out": .string(out), "register": .string(register), "jobs": .number(Double(jobs)),
            "model": .string(designer == .llm || validator == .llm ? endpoint.model : nil), "agent_format": .string(agentFormat.rawValue),
            "agent_steps": .number(Double(agentSteps)), "design_attempts": .number(Double(designAttempts)),
            "refactor_attempts": .number(Double(refactorAttempts)), "sandboxed": .bool(setup.sandboxed),
        ]
        try? await store.beginRun(id: runID, settings: settings)
        let started = ContinuousClock.now
        let configured = generator
        let results = await Self.inParallel(datasets.map { ProjectPaths.resolve($0) }, limit: jobs) { await configured.generate(dataset: $0) }
        let elapsed = ContinuousClock.now - started
        let summary = GenerationSummary(datasets: results,
                                        wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        try? await store.finishRun(id: runID, summary: summary.json)
        do {
            try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
            try Data(summary.json.encodedString().utf8).write(to: reports.appending(path: "report.json"))
            try Data((summary.markdown + "\n").utf8).write(to: reports.appending(path: "report.md"))
            for dataset in results {  // and one report per dataset, as MLE-Smith's are
                let own = GenerationSummary(datasets: [dataset], wallSeconds: dataset.seconds)
                try Data(own.json.encodedString().utf8).write(to: reports.appending(path: "\(dataset.dataset).json"))
                try Data((own.markdown + "\n").utf8).write(to: reports.appending(path: "\(dataset.dataset).md"))
            }
        } catch {
            Console.error("mledojo generate: cannot write the report into \(reports.path): \(error)")
        }
        if json {
            Console.line(summary.json.encodedString())
        } else {
            Console.line("")
            Console.line(summary.markdown)
            Console.line("report: \(reports.path)/report.md")
        }
        if summary.verified.isEmpty { throw ExitCode(1) }
    }

    /// Runs `body` over `items` with at most `limit` at once, keeping the order of `items`.
    static func inParallel<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async -> R) async -> [R] {
        await withTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            while next < min(limit, items.count) {
                let index = next
                group.addTask { (index, await body(items[index])) }
                next += 1
            }
            for await (index, result) in group {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, await body(items[index])) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }
}
