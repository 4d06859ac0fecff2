import Foundation
import Wire

/// What the LLM agents of a generation cost and how they went, as MLE-Smith reports it: per role the
/// invocations, how many finished, the step distribution, tokens, dollars and seconds.
public struct AgentStatistics: Sendable {
    /// One role's totals.
    public struct Role: Sendable {
        public var role: String
        public var runs: Int = 0
        public var finished: Int = 0
        public var steps: [Int] = []
        public var promptTokens: Int = 0
        public var completionTokens: Int = 0
        public var costUSD: Double = 0
        /// Whether every run had a known price (else `costUSD` is a lower bound).
        public var priced = true
        public var seconds: Double = 0

        /// min, median, 90th percentile and max of the steps per run.
        public var stepSpread: (min: Int, median: Int, p90: Int, max: Int)? {
            guard !steps.isEmpty else { return nil }
            let sorted = steps.sorted()
            func at(_ q: Double) -> Int { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] }
            return (sorted[0], at(0.5), at(0.9), sorted[sorted.count - 1])
        }

        var json: JSONValue {
            let spread = stepSpread
            return ["runs": .number(Double(runs)), "finished": .number(Double(finished)),
                    "steps": spread.map { ["min": .number(Double($0.min)), "median": .number(Double($0.median)),
                                           "p90": .number(Double($0.p90)), "max": .number(Double($0.max))] } ?? .null,
                    "prompt_tokens": .number(Double(promptTokens)), "completion_tokens": .number(Double(completionTokens)),
                    "cost_usd": priced ? .number((costUSD * 1e6).rounded() / 1e6) : .null,
                    "seconds": .number((seconds * 10).rounded() / 10)]
        }
    }

    public private(set) var roles: [String: Role] = [:]

    /// Totals over the agent runs (`AgentRun.json` values) of `datasets`.
    public init(_ datasets: [DatasetReport]) {
        let runs = datasets.flatMap { [$0.brainstorm] + $0.candidates.flatMap(\.agents) }.filter { $0["role"]?.stringValue != nil }
        for run in runs {
            let name = run["role"]?.stringValue ?? "?"
            var role = roles[name] ?? Role(role: name)
            role.runs += 1
            if run["end"]?.stringValue == "finished" { role.finished += 1 }
            role.steps.append(Int(run["steps"]?.numberValue ?? 0))
            role.promptTokens += Int(run["prompt_tokens"]?.numberValue ?? 0)
            role.completionTokens += Int(run["completion_tokens"]?.numberValue ?? 0)
            if let cost = run["cost_usd"]?.numberValue { role.costUSD += cost } else { role.priced = false }
            role.seconds += run["seconds"]?.numberValue ?? 0
            roles[name] = role
        }
    }

    public var isEmpty: Bool { roles.isEmpty }
    public var totalTokens: Int { roles.values.reduce(0) { $0 + $1.promptTokens + $1.completionTokens } }
    /// Dollars over every role, nil when some run had no known price.
    public var costUSD: Double? { roles.values.allSatisfy(\.priced) ? roles.values.reduce(0) { $0 + $1.costUSD } : nil }

    public var json: JSONValue {
        .object(roles.mapValues(\.json))
    }

    /// A Markdown table, one row per role in pipeline order.
    public var markdown: [String] {
        guard !isEmpty else { return [] }
        var lines = ["| agent | runs | finished | steps min/median/p90/max | prompt tokens | completion tokens | $ | seconds |",
                     "|---|---|---|---|---|---|---|---|"]
        for name in AgentRole.allCases.map(\.rawValue) {
            guard let role = roles[name] else { continue }
            let spread = role.stepSpread.map { "\($0.min)/\($0.median)/\($0.p90)/\($0.max)" } ?? "-"
            lines.append("| \(name) | \(role.runs) | \(role.finished) | \(spread) | \(role.promptTokens) | \(role.completionTokens) | "
                + "\(role.priced ? String(format: "%.4f", role.costUSD) : "-") | \(String(format: "%.1f", role.seconds)) |")
        }
        return lines
    }
}
