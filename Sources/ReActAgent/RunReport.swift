import Foundation
import Wire

/// The summary of one agent run: what the CLI prints, `--json` emits and the database keeps.
public struct RunReport: Sendable {
    public var runID: String
    public var task: String
    public var policy: String
    public var model: String?
    public var server: String
    public var metric: String
    public var higherIsBetter: Bool
    public var session: String?
    public var endReason: EndReason?
    public var stepsUsed: Int
    public var maxSteps: Int
    public var turns: Int
    public var bestScore: Double?
    public var normalizedScore: Double?
    public var random: RandomReference
    public var final: JSONValue?
    public var usage: TokenUsage
    public var costUSD: Double
    /// The price table entry used, nil when the model is not in the table (cost 0) or there is no model.
    public var pricedAs: String?
    public var seconds: Double
    public var verdict: Verdict

    public var json: JSONValue {
        [
            "run_id": .string(runID), "task": .string(task), "policy": .string(policy), "model": .string(model),
            "server": .string(server), "metric": .string(metric), "higher_is_better": .bool(higherIsBetter),
            "session": .string(session), "end_reason": .string(endReason?.code), "end_detail": .string(endReason?.description),
            "steps_used": .number(Double(stepsUsed)), "max_steps": .number(Double(maxSteps)), "turns": .number(Double(turns)),
            "best_score": .number(bestScore), "normalized_score": .number(normalizedScore), "random": random.json,
            "final": final ?? .null,
            "tokens": [
                "prompt": .number(Double(usage.promptTokens)), "completion": .number(Double(usage.completionTokens)),
                "total": .number(Double(usage.totalTokens)), "estimated": .bool(usage.estimated),
            ],
            "cost_usd": .number(costUSD), "price_known": model == nil ? .null : .bool(pricedAs != nil), "priced_as": .string(pricedAs),
            "seconds": .number((seconds * 1000).rounded() / 1000),
            "verdict": .string(verdict.status.rawValue), "verdict_detail": verdict.json,
        ]
    }

    /// The human summary printed at the end of a run.
    public var summaryLines: [String] {
        func score(_ value: Double?) -> String { value.map(PromptLibrary.score) ?? "-" }
        var cost = String(format: "$%.4f", costUSD)
        if model != nil && pricedAs == nil { cost += " (price of \(model ?? "?") unknown: counted as 0)" }
        if model == nil { cost += " (no model)" }
        var lines = [
            "run \(runID) on \(task) (\(policy)\(model.map { ", model \($0)" } ?? ""))",
            "  steps        \(stepsUsed)/\(maxSteps) in \(turns) turns, \(String(format: "%.1f", seconds)) s; ended: \(endReason?.description ?? "before the episode")",
            "  best score   \(score(bestScore)) (\(metric), \(higherIsBetter ? "higher" : "lower") is better); random \(score(random.score)) [\(random.source)]",
            "  normalised   \(score(normalizedScore)) (0 = random sample submission, 1 = best known)",
            "  tokens       \(usage.totalTokens) (\(usage.promptTokens) prompt + \(usage.completionTokens) completion\(usage.estimated ? ", partly estimated" : "")); cost \(cost)",
            "  verdict      \(verdict.status.rawValue)",
        ]
        lines += verdict.reasons.map { "    - \($0)" }
        return lines
    }
}
