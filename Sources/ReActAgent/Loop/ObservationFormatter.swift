import Foundation
import Wire

/// Turns an observation into the text the model reads. The header (status, execution outcome,
/// submission and scores) is never cut; the bodies (info content, stdout, stderr, feedback) share
/// what is left of the character budget, cut by `TextCutter` so error lines survive.
public enum ObservationFormatter {
    /// The text for the model, and a compact form (header only) for older turns when the context is tight.
    public struct Rendered: Sendable, Equatable {
        public var full: String
        public var compact: String
    }

    public static func render(_ observation: ObservationView, limit: Int) -> Rendered {
        var header: [String] = []
        var bodies: [(title: String, text: String, share: Double)] = []
        header.append("Status: \(observation.json["action_status"]?.stringValue ?? "UNKNOWN")")
        if let info = observation.info {
            let infoType = info["info_type"]?.stringValue ?? "info"
            let content = info["content"].map(text(of:)) ?? ""
            bodies.append(("\(infoType):", content, 1))
        }
        if let execution = observation.execution {
            header.append(executionLine(execution))
            let stdout = execution["stdout"]?.stringValue ?? ""
            let stderr = execution["stderr"]?.stringValue ?? ""
            if !stdout.isEmpty { bodies.append(("stdout:", stdout, 0.4)) }
            if !stderr.isEmpty { bodies.append(("stderr:", stderr, 0.6)) }
        }
        if let submission = observation.submission { header.append(submissionLine(submission)) }
        if let scores = scoreLine(observation) { header.append(scores) }
        if observation.info == nil && observation.execution == nil && observation.submission == nil, !observation.feedback.isEmpty {
            bodies.append(("feedback:", observation.feedback, 1))
        }
        let headerText = header.joined(separator: "\n")
        let available = max(200, limit - headerText.count)
        let totalShare = bodies.reduce(0) { $0 + $1.share }
        var parts = [headerText]
        for body in bodies {
            let budget = Int(Double(available) * body.share / max(totalShare, 1e-9)) - body.title.count - 1
            parts.append(body.title + "\n" + TextCutter.cut(body.text, limit: max(80, budget)))
        }
        let omitted = bodies.isEmpty ? "" : "\n[details omitted to fit the context]"
        return Rendered(full: parts.joined(separator: "\n"), compact: headerText + omitted)
    }

    static func text(of content: JSONValue) -> String {
        if let text = content.stringValue { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(content)).map { String(decoding: $0, as: UTF8.self) } ?? content.encodedString()
    }

    static func executionLine(_ execution: JSONValue) -> String {
        let status = execution["status"]?.stringValue ?? "UNKNOWN"
        var line = "Execution: \(status)"
        if let code = execution["exit_code"]?.numberValue { line += " (exit \(Int(code)))" }
        if let seconds = execution["duration_s"]?.numberValue { line += String(format: " in %.2f s", seconds) }
        if execution["truncated"]?.boolValue == true { line += "; output was truncated by the server" }
        return line
    }

    static func submissionLine(_ submission: JSONValue) -> String {
        let status = submission["status"]?.stringValue ?? "UNKNOWN"
        switch status {
        case "SUCCESS":
            let raw = submission["raw_score"]?.numberValue.map(PromptLibrary.score) ?? "null"
            var line = "Submission: graded, score \(raw)"
            if let split = submission["split"]?.stringValue { line += " on the \(split) split" }
            if let normalized = submission["normalized_score"]?.numberValue {
                line += " (normalized \(PromptLibrary.score(normalized)): 0 = random sample submission, 1 = best known)"
            }
            return line
        default:
            let type = submission["error_type"]?.stringValue ?? status
            let message = submission["error"]?.stringValue ?? ""
            return "Submission: \(status) — \(type)\(message.isEmpty ? "" : ": \(TextCutter.cut(message, limit: 600))")"
        }
    }

    static func scoreLine(_ observation: ObservationView) -> String? {
        guard observation.currentRawScore != nil || observation.bestRawScore != nil else { return nil }
        let current = observation.currentRawScore.map(PromptLibrary.score) ?? "none"
        let best = observation.bestRawScore.map(PromptLibrary.score) ?? "none"
        return "Scores: latest \(current), best \(best); reward \(PromptLibrary.score(observation.reward))"
    }
}
