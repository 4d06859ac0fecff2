import Foundation
import Wire

/// The LLM-free Brainstormer and Designer (`python -m mledojo.design`): profiles a dataset, proposes
/// up to `maxCandidates` formulations the data supports, and writes each as a task folder in the
/// uniform format with the shared metric library.
public struct BuiltinDesigner: Sendable {
    /// What the designer made of one dataset.
    public struct Design: Sendable {
        public var drafts: [Candidate]
        /// Formulations it considered and dropped, with why.
        public var skipped: JSONValue
        public var profile: JSONValue
        public var seconds: Double
    }

    public let python: PythonModule
    public let maxCandidates: Int

    public init(python: PythonModule, maxCandidates: Int = 3) {
        self.python = python
        self.maxCandidates = maxCandidates
    }

    /// Designs candidates from `dataset` (a CSV file or a folder holding one) into `workFolder`.
    /// Throws `DesignFailure` with the designer's reason when it produced none.
    public func design(_ dataset: URL, into workFolder: URL) async throws(DesignFailure) -> Design {
        let outcome: PythonModule.Outcome
        let report: JSONValue?
        do {
            (outcome, report) = try await python.runJSON(
                "design", ["--dataset", dataset.path, "--out", workFolder.path, "--max-candidates", String(maxCandidates), "--json"],
                timeoutSeconds: 1800)
        } catch {
            throw DesignFailure(message: "cannot run mledojo.design: \(error)")
        }
        guard let report, let candidates = report["candidates"]?.arrayValue else {
            throw DesignFailure(message: "mledojo.design gave no report (exit \(outcome.status)): \(outcome.stderrTail)")
        }
        let drafts = candidates.compactMap { candidate -> Candidate? in
            guard let id = candidate["id"]?.stringValue, let dir = candidate["dir"]?.stringValue else { return nil }
            return Candidate(id: id, folder: URL(fileURLWithPath: dir), objective: candidate["objective"]?.stringValue,
                         metric: candidate["metric"]?.stringValue, summary: candidate)
        }
        guard !drafts.isEmpty else {
            let skipped = report["skipped"]?.arrayValue?.compactMap { $0["reason"]?.stringValue }.joined(separator: "; ") ?? ""
            throw DesignFailure(message: "no formulation passed the designer's own bar\(skipped.isEmpty ? "" : ": \(skipped)")")
        }
        return Design(drafts: drafts, skipped: report["skipped"] ?? .array([]), profile: report["profile"] ?? .null,
                      seconds: outcome.seconds)
    }
}

/// The designer produced no candidate; the message says why.
public struct DesignFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
