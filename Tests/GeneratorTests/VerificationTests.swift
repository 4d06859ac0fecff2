import EnvTesting
import Foundation
import ReActAgent
import Testing
import Wire

@testable import Generator

/// The verification stages on real task folders: the real Python checks and probes, and the baseline
/// agent against a real private server.
@Suite("Verification stages, live", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"), "needs bubblewrap"))
struct VerificationTests {
    let python = PythonModule(python: RepositoryPaths.venv.appending(path: "bin/python"), runtime: RepositoryPaths.pythonRuntime)

    private func copyOfTask(_ id: String, into folder: TemporaryDirectory) throws -> URL {
        let copy = folder.url.appending(path: id)
        try FileManager.default.copyItem(at: RepositoryPaths.tasks.appending(path: id), to: copy)
        try? FileManager.default.removeItem(at: copy.appending(path: "data"))
        return copy
    }

    private func validator(updatesManifest: Bool) throws -> ExecutionValidator {
        ExecutionValidator(python: python, venv: RepositoryPaths.venv, resources: try AgentResources.locate(),
                           limits: EpisodeLimits(maxSteps: 10, timeLimitSeconds: 600, execTimeoutSeconds: 300), updatesManifest: updatesManifest)
    }

    @Test func aBundledTaskPassesEveryStage() async throws {
        let folder = try TemporaryDirectory("gen-verify")
        defer { folder.remove() }
        let task = try copyOfTask("penguins-species", into: folder)
        let verifier = TaskVerifier(assertions: .assertions(python), review: .review(python), validator: try validator(updatesManifest: false))
        let stages = await verifier.verify(task)
        #expect(stages.map(\.stage) == [.assertionsPost, .review, .executionValidation])
        for entry in stages { #expect(entry.result.outcome == .passed, "\(entry.stage): \(entry.result.outcome)") }
    }

    @Test func aLeakFailsTheAssertionsWithItsNamedCheck() async throws {
        let folder = try TemporaryDirectory("gen-verify")
        defer { folder.remove() }
        let task = try copyOfTask("ames-house-prices", into: folder)
        let prepare = task.appending(path: "prepare.py")
        let source = try String(contentsOf: prepare, encoding: .utf8)
        try source.replacingOccurrences(of: "test.drop(columns=[TARGET]).to_csv", with: "test.to_csv")
            .write(to: prepare, atomically: true, encoding: .utf8)
        let result = await NamedChecks.assertions(python).run(task, as: .assertionsPre)
        guard case .failed(let defects) = result.outcome else { Issue.record("the leak passed"); return }
        #expect(defects.contains { $0.check == "no_answer_leak" && $0.stage == .assertionsPre })
    }

    @Test func theBaselineMustBeatTheWeakReferenceAndBecomesTheBaseline() async throws {
        let folder = try TemporaryDirectory("gen-verify")
        defer { folder.remove() }
        let task = try copyOfTask("credit-default", into: folder)
        let manifestFile = task.appending(path: "task.json")
        func setWeak(_ weak: Double) throws {
            guard case .object(var fields) = try JSONValue.decode(Data(contentsOf: manifestFile)),
                  case .object(var references)? = fields["reference_scores"] else { throw CocoaError(.fileReadCorruptFile) }
            references["weak"] = .number(weak)
            fields["reference_scores"] = .object(references)
            try ExecutionValidator.write(.object(fields), to: manifestFile)
        }
        try setWeak(0.99)  // no baseline reaches an AUC of 0.99 + margin here
        let refused = await (try validator(updatesManifest: true)).run(task)
        guard case .failed(let defects) = refused.outcome else { Issue.record("a weak reference of 0.99 was beaten"); return }
        #expect(defects.map(\.check) == ["weak_vs_strong"])
        try setWeak(0.5)
        let passed = await (try validator(updatesManifest: true)).run(task)
        #expect(passed.outcome == .passed)
        let written = try JSONValue.decode(Data(contentsOf: manifestFile))
        #expect(written["reference_scores"]?["baseline"]?.numberValue == passed.detail["baseline"]?.numberValue)
        #expect(written["reference_scores"]?["how"]?.stringValue?.contains("execution validation") == true)
    }
}
