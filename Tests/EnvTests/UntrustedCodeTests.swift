import EnvTesting
import Foundation
import Synchronization
import Testing

@testable import Env

/// Tasks whose code an LLM wrote: the resolver's `untrusted_code` becomes `CompetitionTask.untrustedCode`,
/// the loader resolves the folders the trusted resolver refuses with the sandboxed one, the server grades
/// them with the sandboxed grader, and that grader (on this host's bubblewrap) reads the task but cannot
/// write to it, reach the network, or see the host's other files.
@Suite("Untrusted task code", .serialized)
struct UntrustedCodeTests {
    static func resolved(untrusted: JSONValue?) -> JSONValue {
        guard case .object(var fields) = TaskLoaderTests.resolved else { return .null }
        fields["untrusted_code"] = untrusted
        return .object(fields)
    }

    @Test func theResolverFlagBecomesTheTasks() throws {
        let folder = URL(fileURLWithPath: "/tasks/weather")
        #expect(try CompetitionTask(resolved: Self.resolved(untrusted: true), directory: folder).untrustedCode)
        #expect(try !CompetitionTask(resolved: Self.resolved(untrusted: false), directory: folder).untrustedCode)
        for broken: JSONValue? in [nil, "yes", 1] {  // missing or not a boolean: refused, never taken as trusted
            #expect(throws: EnvError.self) { try CompetitionTask(resolved: Self.resolved(untrusted: broken), directory: folder) }
        }
    }

    @Test func loadAllResolvesRefusedFoldersWithTheUntrustedResolver() async {
        let refusal: JSONValue = ["dir": "/tasks/llm", "ok": false, "error": "written by an LLM", "error_type": "UntrustedCodeError"]
        let admitted = Mutex<[String]>([])
        let loader = TaskLoader(
            discover: { _ in [["dir": "/tasks/weather", "ok": true, "task": TaskLoaderTests.resolved], refusal] },
            resolve: { _ in Issue.record("resolve is not asked during loadAll"); return .null },
            resolveUntrusted: { folder in
                #expect(folder.path == "/tasks/llm")
                return Self.resolved(untrusted: true)
            },
            admitUntrusted: { folders in admitted.withLock { $0 += folders.map(\.path) } })
        let loaded = await loader.loadAll(from: URL(fileURLWithPath: "/tasks"))
        #expect(loaded.problems.isEmpty)
        #expect(loaded.tasks.map(\.untrustedCode) == [false, true])
        #expect(loaded.tasks.last?.directory.path == "/tasks/llm")
        #expect(admitted.withLock { $0 } == ["/tasks/llm"])
        // Without an untrusted resolver the folder is reported, not loaded.
        let trustedOnly = TaskLoader(discover: { _ in [refusal] }, resolve: { _ in .null })
        let none = await trustedOnly.loadAll(from: URL(fileURLWithPath: "/tasks"))
        #expect(none.tasks.isEmpty && none.problems == ["llm: UntrustedCodeError: written by an LLM"])
    }

    @Test func loadFallsBackToTheUntrustedResolverOnlyOnItsRefusal() async throws {
        let loader = TaskLoader(
            discover: { _ in [] },
            resolve: { folder in
                if folder.lastPathComponent == "llm" { throw GraderError(errorType: "UntrustedCodeError", message: "LLM") }
                throw GraderError(errorType: "MetricError", message: "broken")
            },
            resolveUntrusted: { _ in Self.resolved(untrusted: true) })
        #expect(try await loader.load(URL(fileURLWithPath: "/tasks/llm")).untrustedCode)
        await #expect(throws: GraderError.self) { try await loader.load(URL(fileURLWithPath: "/tasks/other")) }
    }

    @Test func theServiceGradesEachTaskWithItsGrader() async throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let configuration = TestServer.configuration(in: temporary.url)
        let trusted = GraderClient(python: configuration.python, runtimePath: configuration.runtimeDirectory.path)
        let sandbox = Sandbox(mode: .unsafeNoSandbox, bubblewrap: "/usr/bin/bwrap", setpriv: nil,
                              pythonEnvironment: configuration.pythonEnvironment, workerDirectory: configuration.workerDirectory)
        let untrusted = GraderClient(untrustedCodeIn: sandbox, python: configuration.python,
                                     runtimeDirectory: configuration.runtimeDirectory, runsDirectory: configuration.runsDirectory)
        let store = try Store(path: temporary.url.appending(path: "db.sqlite").path)
        let folder = URL(fileURLWithPath: "/tasks/weather")
        let llmTask = try CompetitionTask(resolved: Self.resolved(untrusted: true), directory: folder)
        let plainTask = try CompetitionTask(resolved: Self.resolved(untrusted: false), directory: folder)
        let service = EnvService(configuration: configuration, catalog: TaskCatalog([]), store: store, grader: trusted,
                                 sandbox: sandbox, untrustedGrader: untrusted)
        #expect(service.grader(for: llmTask) === untrusted && service.grader(for: plainTask) === trusted)
        #expect(untrusted.servesUntrustedCode && !trusted.servesUntrustedCode)
        // Without a grader for untrusted code, the trusted one gets them (and refuses them itself).
        let alone = EnvService(configuration: configuration, catalog: TaskCatalog([]), store: store, grader: trusted, sandbox: sandbox)
        #expect(alone.grader(for: llmTask) === trusted)
    }

    /// A task stamped as LLM-made whose metric tries, while grading, to write into its folder, reach the
    /// network and read a host file; it encodes what worked in the score (100 + bits).
    static func escapingTask(in root: URL, hostFile: URL) throws -> URL {
        let folder = root.appending(path: "llm-escape")
        for sub in ["data/public", "data/private"] {
            try FileManager.default.createDirectory(at: folder.appending(path: sub), withIntermediateDirectories: true)
        }
        let manifest = #"{"id": "llm-escape", "title": "Escape", "metric": {"name": "escapes", "higher_is_better": true}, "#
            + #""generated": {"designer": "llm", "run_id": "gen_test", "model": null}}"#
        try manifest.write(to: folder.appending(path: "task.json"), atomically: true, encoding: .utf8)
        try "Predict y.\n".write(to: folder.appending(path: "description.txt"), atomically: true, encoding: .utf8)
        try "id,y\n1,0\n2,1\n".write(to: folder.appending(path: "data/private/test_answer.csv"), atomically: true, encoding: .utf8)
        try "id,y\n1,0\n2,0\n".write(to: folder.appending(path: "data/public/sample_submission.csv"), atomically: true, encoding: .utf8)
        let metric = """
            import os, socket
            from pathlib import Path
            from mledojo.metrics.base import CompetitionMetrics

            def attempts():
                bits = 0
                try:
                    Path(__file__).with_name('escaped.txt').write_text('x'); bits |= 1
                except OSError:
                    pass
                try:
                    socket.create_connection(('1.1.1.1', 53), timeout=1).close(); bits |= 2
                except OSError:
                    pass
                try:
                    open('\(hostFile.path)').read(); bits |= 4
                except OSError:
                    pass
                return bits

            class EscapeMetrics(CompetitionMetrics):
                def __init__(self, value='y', higher_is_better=True):
                    super().__init__(higher_is_better)
                def validate_submission(self, submission, ground_truth):
                    return 'ok'
                def evaluate(self, y_true, y_pred):
                    return 100.0 + attempts()
            """
        try metric.write(to: folder.appending(path: "metric.py"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func theSandboxedGraderReadsTheTaskButReachesNothingElse() async throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let configuration = TestServer.configuration(in: temporary.url)
        let venv = RepositoryPaths.venv
        let (sandbox, _) = try await Sandbox.probed(bubblewrap: "/usr/bin/bwrap", python: venv.appending(path: "bin/python").path,
                                                    pythonEnvironment: venv, workerDirectory: RepositoryPaths.pythonRuntime)
        let secret = temporary.url.appending(path: "secret.txt")
        try "host file".write(to: secret, atomically: true, encoding: .utf8)
        let tasks = temporary.url.appending(path: "tasks")
        let folder = try Self.escapingTask(in: tasks, hostFile: secret)
        let runs = temporary.url.appending(path: "runs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        let submission = runs.appending(path: "submission.csv")
        try "id,y\n1,0\n2,1\n".write(to: submission, atomically: true, encoding: .utf8)
        let grader = GraderClient(untrustedCodeIn: sandbox, python: configuration.python,
                                  runtimeDirectory: RepositoryPaths.pythonRuntime, runsDirectory: runs)
        let task = try CompetitionTask(resolved: try await grader.resolve(taskDirectory: folder), directory: folder)
        let report = try await grader.grade(task: task, submission: submission, scoring: true)
        await grader.shutdown()
        #expect(task.untrustedCode)
        #expect(report.valid && report.full == 100, "escapes: \(String(describing: report.full))")
        #expect(!FileManager.default.fileExists(atPath: folder.appending(path: "escaped.txt").path))
    }
}
