import Foundation
import Wire

/// One dataset's generation: its candidates, what the designer dropped, and the time taken.
public struct DatasetReport: Sendable {
    public var dataset: String
    public var candidates: [CandidateReport]
    /// Formulations the designer considered and dropped, with why.
    public var skipped: JSONValue
    /// Why no candidate came out at all (nil when the designer wrote some).
    public var failure: String?
    public var designSeconds: Double
    public var seconds: Double
    /// The brainstorming agent's run (tokens, steps), or who brainstormed.
    public var brainstorm: JSONValue = .null

    public var verified: [CandidateReport] { candidates.filter(\.verified) }

    public var json: JSONValue {
        [
            "dataset": .string(dataset), "failure": .string(failure), "seconds": .number((seconds * 100).rounded() / 100),
            "design_seconds": .number((designSeconds * 100).rounded() / 100), "verified": .number(Double(verified.count)),
            "candidates": .array(candidates.map(\.json)), "skipped": skipped, "brainstorm": brainstorm,
        ]
    }
}

/// The totals MLE-Smith reports, over a set of datasets.
public struct GenerationSummary: Sendable {
    public var datasets: [DatasetReport]
    public var wallSeconds: Double

    public init(datasets: [DatasetReport], wallSeconds: Double) {
        self.datasets = datasets
        self.wallSeconds = wallSeconds
    }

    public var candidates: [CandidateReport] { datasets.flatMap(\.candidates) }
    public var verified: [CandidateReport] { candidates.filter(\.verified) }
    public var tasksPerDataset: Double { datasets.isEmpty ? 0 : Double(verified.count) / Double(datasets.count) }
    /// Wall-clock seconds per verified task, validation included.
    public var secondsPerVerifiedTask: Double? { verified.isEmpty ? nil : wallSeconds / Double(verified.count) }
    public var objectives: Set<String> { Set(verified.compactMap(\.objective)) }
    public var metrics: Set<String> { Set(verified.compactMap(\.metric)) }
    public var designFirstPassRate: Double? {
        candidates.isEmpty ? nil : Double(candidates.filter(\.designFirstPass).count) / Double(candidates.count)
    }
    /// Of the candidates a Refactor worked on, the share its first attempt carried through validation.
    public var refactorFirstPassRate: Double? {
        let refactored = candidates.compactMap(\.refactorFirstPass)
        return refactored.isEmpty ? nil : Double(refactored.filter { $0 }.count) / Double(refactored.count)
    }
    public var agents: AgentStatistics { AgentStatistics(datasets) }
    /// LLM dollars per verified task (nil without agents, a price for every run, or a verified task).
    public var costPerVerifiedTask: Double? {
        guard !agents.isEmpty, let cost = agents.costUSD, !verified.isEmpty else { return nil }
        return cost / Double(verified.count)
    }

    public var json: JSONValue {
        [
            "datasets": .number(Double(datasets.count)), "candidates": .number(Double(candidates.count)),
            "verified": .number(Double(verified.count)), "tasks_per_dataset": .number((tasksPerDataset * 100).rounded() / 100),
            "seconds_per_verified_task": .number(secondsPerVerifiedTask.map { ($0 * 10).rounded() / 10 }),
            "wall_seconds": .number((wallSeconds * 10).rounded() / 10),
            "objectives": .array(objectives.sorted().map { .string($0) }), "metrics": .array(metrics.sorted().map { .string($0) }),
            "design_first_pass_rate": .number(designFirstPassRate), "refactor_first_pass_rate": .number(refactorFirstPassRate),
            "agents": agents.json, "tokens": .number(Double(agents.totalTokens)), "cost_usd": .number(agents.costUSD),
            "cost_per_verified_task": .number(costPerVerifiedTask),
            "per_dataset": .array(datasets.map(\.json)),
        ]
    }

    /// The per-dataset table and the totals, in Markdown.
    public var markdown: String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "-" }
        var lines = ["| dataset | candidate | verified | objective | metric | baseline | random | seconds | defect |",
                     "|---|---|---|---|---|---|---|---|---|"]
        for dataset in datasets {
            if dataset.candidates.isEmpty {
                lines.append("| \(dataset.dataset) | - | 0 | - | - | - | - | \(String(format: "%.1f", dataset.seconds)) | \(dataset.failure ?? "") |")
            }
            for candidate in dataset.candidates {
                let defect = candidate.defects.first.map { "\($0.stage.rawValue)/\($0.check)" } ?? ""
                lines.append("| \(dataset.dataset) | \(candidate.id) | \(candidate.verified ? "yes" : "no") | \(candidate.objective ?? "-") | "
                    + "\(candidate.metric ?? "-") | \(number(candidate.baseline)) | \(number(candidate.random)) | "
                    + "\(String(format: "%.1f", candidate.seconds)) | \(defect) |")
            }
        }
        lines += [
            "",
            "\(verified.count) verified of \(candidates.count) candidates from \(datasets.count) dataset(s): "
                + "\(String(format: "%.2f", tasksPerDataset)) per dataset; \(objectives.count) objective kinds "
                + "(\(objectives.sorted().joined(separator: ", "))); \(metrics.count) metrics (\(metrics.sorted().joined(separator: ", "))).",
            "Wall time \(String(format: "%.1f", wallSeconds)) s: \(secondsPerVerifiedTask.map { String(format: "%.1f", $0) } ?? "-") s per verified task, validation included.",
        ]
        if !agents.isEmpty {
            func rate(_ value: Double?) -> String { value.map { String(format: "%.0f %%", $0 * 100) } ?? "-" }
            lines += [""] + agents.markdown + [
                "",
                "Designer first-pass rate \(rate(designFirstPassRate)); Refactor first-pass rate \(rate(refactorFirstPassRate)); "
                    + "\(agents.totalTokens) tokens; \(agents.costUSD.map { String(format: "$%.4f", $0) } ?? "cost unknown (a model without a price)")"
                    + "\(costPerVerifiedTask.map { String(format: ", $%.4f per verified task", $0) } ?? "").",
            ]
        }
        return lines.joined(separator: "\n")
    }
}
