import ArgumentParser
import Foundation
import Generator
import ReActAgent
import Wire

/// `mledojo tasks derive --micro|--small`: twins of task folders, verified and published like generated tasks.
struct TasksDeriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive",
        abstract: "Derive micro-scale (50 to 200 training rows) or small-scale twins of tasks, verify and publish them.",
        discussion: """
            For each parent folder, `python -m mledojo.derive --micro` writes <parent-id>-micro (--small: \
            <parent-id>-small, 250 to 5000 training rows and fewer than the parent's, for a parent whose ranking no \
            micro twin keeps) into a staging \
            folder: the parent's prepared data in raw/, a prepare.py that subsamples it (stratified for class \
            labels, a recent window for time-ordered tasks, seeded otherwise), the parent's metric, an adapted \
            description, and task.json with derived_from and new random, weak and preliminary references. The \
            twin then passes the whole verification of `mledojo tasks verify` (assertions, review probes, execution \
            validation by the baseline agent, whose score becomes the twin's baseline reference, as in `mledojo \
            generate`). A verified twin is published atomically into --out and, with --register, registered with a \
            running server; a rejected one is moved to --rejected with defects.json beside its files. Parents whose \
            code an LLM wrote are refused. Exits 0 when every twin was published, 1 when any was refused or \
            rejected, 2 on bad input.
            """)

    @Flag var kind: TwinKindFlag?
    @Option(help: "Training rows of each twin, within its kind's range (default: the smallest size of the kind's search whose twin keeps the parent's ranking).")
    var trainRows: Int?
    @Option(help: "Test rows of each twin (default: the parent's whole test set, at most 2000).")
    var testRows: Int?
    @Option(help: "The subsampling seed.")
    var seed = 0
    @Option(help: "Tasks folder verified twins are published into.")
    var out = "tasks"
    @Option(help: "Folder rejected twins are moved into, with their defects.")
    var rejected = "var/derive/rejected"
    @Option(help: "Admin endpoint of a running server to register each published twin with.")
    var register: String?
    @Option(help: "Token file for a tcp:// admin endpoint.")
    var adminTokenFile: String?
    @Flag(help: "Print a JSON report instead of lines.")
    var json = false
    @Option(help: "Python virtual environment.")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package.")
    var runtime = "python"
    @OptionGroup(title: "The sandbox verification runs the twins' code in")
    var sandboxOptions: SandboxOptions
    @Argument(help: "Parent task folders.")
    var parents: [String]

    func validate() throws {
        guard let kind else { throw ValidationError("name the kind of twin: --micro or --small") }
        let kinds = try TwinKinds.load(runtime: ProjectPaths.resolve(runtime))
        let sizes = try kinds.kind(kind.rawValue).trainRows
        if let trainRows, !sizes.contains(trainRows) {
            throw ValidationError("--train-rows must be \(sizes.lowerBound) to \(sizes.upperBound) for a \(kind.rawValue) twin")
        }
        if let testRows, !kinds.testRows.contains(testRows) {
            throw ValidationError("--test-rows must be \(kinds.testRows.lowerBound) to \(kinds.testRows.upperBound)")
        }
        guard !parents.isEmpty else { throw ValidationError("name at least one parent task folder") }
        for folder in parents where !FileManager.default.fileExists(atPath: ProjectPaths.resolve(folder).path) {
            throw ValidationError("no such folder: \(folder)")
        }
    }

    func run() async throws {
        let host = PythonModule(python: ProjectPaths.resolve(venv).appending(path: "bin/python"), runtime: ProjectPaths.resolve(runtime))
        let verifier: TaskVerifier
        let registrar: AdminRegistrar?
        do {
            let python = host.confined(by: try await sandboxOptions.commands(venv: ProjectPaths.resolve(venv), runtime: host.runtime))
            // Execution validation writes the baseline agent's score into the twin's task.json, as the generator does.
            verifier = TaskVerifier(assertions: .assertions(python), review: .review(python),
                                    validator: ExecutionValidator(python: python, venv: ProjectPaths.resolve(venv),
                                                                  resources: try AgentResources.locate(), updatesManifest: true))
            registrar = try register.map { try AdminRegistrar(endpoint: $0, tokenFile: adminTokenFile.map { ProjectPaths.resolve($0) }) }
        } catch {
            Console.error("mledojo tasks derive: \(error)")
            throw ExitCode(2)
        }
        let publisher = Publisher(tasksFolder: ProjectPaths.resolve(out),
                                  register: registrar.map { registrar in { @Sendable url in try registrar.register(url) } })
        let staging = ProjectPaths.resolve("var/derive").appending(path: "staging-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: staging) }
        var reports: [JSONValue] = []
        var allPublished = true
        for parent in parents.map({ ProjectPaths.resolve($0).standardizedFileURL }) {
            let report = await derive(parent, into: staging, host: host, verifier: verifier, publisher: publisher)
            allPublished = allPublished && report["ok"]?.boolValue == true
            reports.append(report)
        }
        if json { Console.line(JSONValue.object(["twins": .array(reports)]).encodedString()) }
        if !allPublished { throw ExitCode(1) }
    }

    /// Derives one twin, verifies it, and publishes or rejects it; the report entry.
    private func derive(_ parent: URL, into staging: URL, host: PythonModule, verifier: TaskVerifier, publisher: Publisher) async -> JSONValue {
        var entry: [String: JSONValue] = ["parent": .string(parent.path)]
        let sizes = (trainRows.map { ["--train-rows", String($0)] } ?? []) + (testRows.map { ["--test-rows", String($0)] } ?? [])
        // validate() refused a missing kind
        let arguments = ["--\((kind ?? .micro).rawValue)", "--json"] + sizes + ["--seed", String(seed), "--out", staging.path, parent.path]
        let derived: JSONValue?
        do { derived = try await host.runJSON("derive", arguments, timeoutSeconds: 1800).1?["twins"]?.arrayValue?.first } catch {
            derived = nil
        }
        guard let derived, derived["ok"]?.boolValue == true, let path = derived["path"]?.stringValue else {
            let why = derived?["errors"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? "mledojo.derive gave no report"
            if !json { Console.line("FAIL  \(parent.lastPathComponent): \(why)") }
            entry["ok"] = false
            entry["errors"] = .array([.string(why)])
            return .object(entry)
        }
        let twin = URL(fileURLWithPath: path)
        entry["id"] = .string(twin.lastPathComponent)
        entry["derived"] = derived
        let stages = await verifier.verify(twin)
        let defects = stages.flatMap { entry -> [Defect] in if case .failed(let found) = entry.result.outcome { found } else { [] } }
        entry["stages"] = .array(stages.map { ["stage": .string($0.stage.rawValue), "outcome": .string($0.result.outcome.name),
                                               "seconds": .number(($0.seconds * 100).rounded() / 100)] })
        if !json {
            for stage in stages {
                Console.line("  \(stage.result.outcome.name.padding(toLength: 8, withPad: " ", startingAt: 0))\(stage.stage.rawValue) "
                    + "(\(String(format: "%.1f", stage.seconds)) s)")
            }
        }
        guard defects.isEmpty else {
            let place = reject(twin, defects: defects)
            if !json {
                Console.line("FAIL  \(twin.lastPathComponent): rejected\(place.map { " into \($0.path)" } ?? " and removed")")
                for defect in defects { Console.line("        \(defect.check): \(defect.message.prefix(300))") }
            }
            entry["ok"] = false
            entry["rejected"] = .string(place?.path)
            entry["errors"] = .array(defects.map(\.json))
            return .object(entry)
        }
        let published = await publisher.run(twin)
        if case .failed(let found) = published.outcome {
            if !json { for defect in found { Console.line("FAIL  \(twin.lastPathComponent): \(defect.check): \(defect.message)") } }
            entry["ok"] = false
            entry["errors"] = .array(found.map(\.json))
            return .object(entry)
        }
        let target = published.detail["path"]?.stringValue ?? ""
        let baseline = (try? JSONValue.decode(Data(contentsOf: URL(fileURLWithPath: target).appending(path: "task.json"))))?["reference_scores"]
        if !json {
            Console.line("PASS  \(twin.lastPathComponent): published at \(target)\(registrar ? " and registered" : "")"
                + (baseline?["baseline"]?.numberValue.map { " (baseline \($0))" } ?? ""))
        }
        entry["ok"] = true
        entry["path"] = .string(target)
        entry["reference_scores"] = baseline
        return .object(entry)
    }

    private var registrar: Bool { register != nil }

    /// Moves a rejected twin into --rejected with defects.json; nil when it could only be removed.
    private func reject(_ twin: URL, defects: [Defect]) -> URL? {
        let manager = FileManager.default
        let folder = ProjectPaths.resolve(rejected)
        let target = folder.appending(path: twin.lastPathComponent)
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
            try manager.moveItem(at: twin, to: target)
            try Data(JSONValue.object(["defects": .array(defects.map(\.json))]).encodedString().utf8)
                .write(to: target.appending(path: "defects.json"))
            return target
        } catch {
            try? manager.removeItem(at: twin)
            return nil
        }
    }
}

/// `mledojo tasks twin-check`: whether derived twins rank a ladder of solutions as their parents do.
struct TasksTwinCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twin-check",
        abstract: "Rank five solutions on each twin and on its parent; keep the twin when Kendall's tau >= 0.8.",
        discussion: """
            Runs `python -m mledojo.twin_check`: the sample submission, a constant, a linear model, \
            HistGradientBoosting and a tuned HistGradientBoosting, each trained on the parent's train (the copy in \
            the twin's raw/) and on the twin's, graded on each one's own test; prints each solution's scores and \
            fit+predict seconds, and Kendall's tau of the two rankings. Twins of LLM-written tasks are refused. \
            Exits 1 when any twin's tau is below 0.8 or it cannot be checked.
            """)

    @OptionGroup var options: TaskFolderOptions
    @Flag(help: "Print JSON instead of tables.")
    var json = false
    @Argument(help: "Twin task folders.")
    var twins: [String]

    func validate() throws {
        guard !twins.isEmpty else { throw ValidationError("name at least one twin folder") }
    }

    func run() async throws {
        let status = try options.runPython("twin_check", (json ? ["--json"] : []) + twins.map { ProjectPaths.resolve($0).path })
        if status != 0 { throw ExitCode(status) }
    }
}
