import Foundation
import Wire

/// The deterministic gates that report named checks as JSON (`{"tasks": [{"checks"|"probes": [{"name",
/// "ok", "detail"}]}]}`): the assertions (`mledojo.check`) and the leakage review (`mledojo.review`).
/// Each failed check becomes a defect of the stage.
public struct NamedChecks: Sendable {
    public let python: PythonModule
    /// `check` or `review`.
    public let module: String
    /// `checks` or `probes`.
    public let listKey: String
    /// Arguments added to every run (`--unvalidated`).
    public var options: [String] = []

    /// `unvalidated`: before execution validation has measured the baseline (a package an LLM wrote).
    public static func assertions(_ python: PythonModule, unvalidated: Bool = false) -> NamedChecks {
        NamedChecks(python: python, module: "check", listKey: "checks", options: unvalidated ? ["--unvalidated"] : [])
    }
    public static func review(_ python: PythonModule) -> NamedChecks { NamedChecks(python: python, module: "review", listKey: "probes") }

    public func run(_ folder: URL, as stage: GenerationStage) async -> StageResult {
        let outcome: PythonModule.Outcome
        let report: JSONValue?
        do { (outcome, report) = try await python.runJSON(module, ["--json"] + options + [folder.path], writable: [folder], timeoutSeconds: 900) } catch {
            return .failed(stage, "\(module)_start", "cannot run mledojo.\(module): \(error)")
        }
        guard let task = report?["tasks"]?.arrayValue?.first, let checks = task[listKey]?.arrayValue else {
            return .failed(stage, "\(module)_report", "mledojo.\(module) gave no report (exit \(outcome.status)): \(outcome.stderrTail)")
        }
        let defects = checks.filter { $0["ok"]?.boolValue != true }.map {
            Defect(stage: stage, check: $0["name"]?.stringValue ?? "?", message: $0["detail"]?.stringValue ?? "")
        }
        let detail: JSONValue = [listKey: .array(checks), "seconds": .number(outcome.seconds)]
        return defects.isEmpty ? StageResult(.passed, detail: detail) : StageResult(.failed(defects), detail: detail)
    }
}
