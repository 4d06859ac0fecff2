import Foundation

extension CompetitionTask {
    /// Builds a task from the resolver's answer for `directory` (protocol/schemas/resolved_task.json).
    /// Throws when a field the server relies on is missing or has the wrong type.
    public init(resolved: JSONValue, directory: URL) throws {
        func text(_ value: JSONValue?, _ name: String) throws -> String {
            guard let text = value?.stringValue, !text.isEmpty else { throw Self.malformed(name) }
            return text
        }
        func reference(_ name: String) throws -> Reference? {
            guard let entry = resolved["reference_scores"]?[name], entry != .null else { return nil }
            guard let value = entry["value"]?.numberValue, value.isFinite else { throw Self.malformed("reference_scores.\(name).value") }
            return Reference(value: value, source: try text(entry["source"], "reference_scores.\(name).source"))
        }
        guard let layout = Layout(rawValue: try text(resolved["layout"], "layout")) else { throw Self.malformed("layout") }
        guard let higherIsBetter = resolved["metric"]?["higher_is_better"]?.boolValue else {
            throw Self.malformed("metric.higher_is_better")
        }
        guard let fraction = resolved["scoring"]?["public_fraction"]?.numberValue, (0...1).contains(fraction),
            let seed = resolved["scoring"]?["seed"]?.integerValue
        else { throw Self.malformed("scoring") }
        guard let untrustedCode = resolved["untrusted_code"]?.boolValue else { throw Self.malformed("untrusted_code") }
        var boards: [String: [Double]] = [:]
        if case .object(let entries)? = resolved["leaderboards"] {
            for (name, board) in entries {
                guard case .array(let scores)? = board["scores"] else { throw Self.malformed("leaderboards.\(name).scores") }
                let values = scores.compactMap(\.numberValue).filter(\.isFinite)
                if !values.isEmpty { boards[name] = values }
            }
        }
        self.init(
            id: try text(resolved["id"], "id"), title: try text(resolved["title"], "title"),
            source: try text(resolved["source"], "source"), modality: try text(resolved["modality"], "modality"),
            objective: resolved["objective"]?.stringValue ?? "", metricName: try text(resolved["metric"]?["name"], "metric.name"),
            higherIsBetter: higherIsBetter, layout: layout, directory: directory,
            referenceScores: ReferenceScores(random: try reference("random"), baseline: try reference("baseline"),
                                             bestKnown: try reference("best_known")),
            leaderboards: boards, publicFraction: fraction, splitSeed: seed,
            descriptionPath: resolved["files"]?["description"]?.stringValue, resolved: resolved, untrustedCode: untrustedCode)
    }

    private static func malformed(_ field: String) -> EnvError {
        EnvError(.internal, "the task resolver's answer lacks a valid '\(field)'")
    }
}
