import Foundation

extension EnvService {
    /// The info types of `request_info`: MLE-Dojo's names plus `metric` and `budget`.
    static let infoTypes = [
        "overview", "sample_submission", "data_structure", "data_path", "output_path", "name", "metadata",
        "metric", "budget", "all",
    ]

    func requestInfo(_ request: Request) async throws -> EncodedReply {
        let infoType = try request.string("info_type")
        guard Self.infoTypes.contains(infoType) else {
            throw EnvError(.badRequest, "unknown info_type '\(infoType)'; known: \(Self.infoTypes.joined(separator: ", "))")
        }
        return try await performStep(request) { context in
            let content = try Self.info(infoType, context: context)
            let text = content.stringValue ?? content.prettyText
            return StepOutcome(success: true, feedback: text,
                               result: ["info": ["info_type": .string(infoType), "content": content]])
        }
    }

    static func info(_ infoType: String, context: StepContext) throws -> JSONValue {
        let task = context.task
        switch infoType {
        case "overview":
            guard let description = task.descriptionFile else {
                throw EnvError(.internal, "the task has no description (data/public/description.txt, the layout's own description file or description.md)")
            }
            return .string(try TaskFile.readText(description, limit: 256 * 1024))
        case "sample_submission":
            let file = task.publicDataDirectory.appending(path: "sample_submission.csv")
            let lines = try TaskFile.readText(file, limit: 64 * 1024).split(separator: "\n", omittingEmptySubsequences: false)
            return .string("sample_submission.csv (first rows):\n" + lines.prefix(6).joined(separator: "\n"))
        case "data_structure":
            let custom = task.publicDataDirectory.appending(path: "data_structure.txt")
            if let text = try? TaskFile.readText(custom, limit: 64 * 1024) { return .string(text) }
            return .string(DirectoryTree.render(task.publicDataDirectory, shownAs: context.dataPath))
        case "data_path": return .string(context.dataPath)
        case "output_path": return .string(context.workspacePath)
        case "name": return .string(task.id)
        case "metadata":
            return [
                "id": .string(task.id), "title": .string(task.title), "source": .string(task.source),
                "modality": .string(task.modality), "objective": .string(task.objective),
                "task_type": task.resolved["task_type"] ?? .null, "dataset": task.manifest["dataset"] ?? .null,
                "layout": .string(task.layout.rawValue), "metric_class": task.resolved["metric"]?["class"] ?? .null,
                "direction_source": task.resolved["metric"]?["direction_source"] ?? .null,
                "task_metadata": task.resolved["metadata"] ?? .object([:]),
                "reference_scores": task.referenceScores.json,
                "data_path": .string(context.dataPath), "output_path": .string(context.workspacePath),
                "submission_file": "submission.csv",
            ]
        case "metric":
            let ladder = ScoreCalculator(task: task).medalLadder
            return [
                "name": .string(task.metricName), "higher_is_better": .bool(task.higherIsBetter),
                "score_split": .string(context.state.scoreSplit.rawValue), "public_fraction": .number(task.publicFraction),
                "reward_mode": .string(context.state.rewardMode.rawValue),
                "invalid_penalty": .number(context.state.invalidPenalty),
                "medal_thresholds": ladder?.json ?? .null,
                "kernel": context.state.persistentKernel ? "persistent" : "fresh",
                "position_score": task.leaderboards.isEmpty ? "normalized (no leaderboard)" : "leaderboard position",
                "reference_scores": [
                    "random": .number(task.referenceScores.random), "baseline": .number(task.referenceScores.baseline),
                    "best_known": .number(task.referenceScores.bestKnown),
                ],
            ]
        case "budget":
            return Observation.budget(context.state, now: Date())
        default:  // "all"
            var all: [String: JSONValue] = [:]
            for type in infoTypes where type != "all" { all[type] = try info(type, context: context) }
            return .object(all)
        }
    }
}

extension JSONValue {
    /// Indented JSON for feedback text.
    var prettyText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? encodedString()
    }
}

/// A short listing of a data folder (at most 10 entries per level), as MLE-Dojo's data_structure.
enum DirectoryTree {
    static func render(_ folder: URL, shownAs name: String, depth: Int = 0, maxDepth: Int = 3) -> String {
        var lines = depth == 0 ? ["\(name)/"] : []
        let manager = FileManager.default
        let entries = ((try? manager.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey, .fileSizeKey])) ?? [])
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let indent = String(repeating: "  ", count: depth + 1)
        for entry in entries.prefix(10) {
            let values = try? entry.resourceValues(forKeys: [.isDirectoryKey, .fileSizeKey])
            if values?.isDirectory == true {
                lines.append("\(indent)\(entry.lastPathComponent)/")
                if depth + 1 < maxDepth {
                    let nested = render(entry, shownAs: entry.lastPathComponent, depth: depth + 1, maxDepth: maxDepth)
                    if !nested.isEmpty { lines.append(nested) }
                }
            } else {
                lines.append("\(indent)\(entry.lastPathComponent) (\(values?.fileSize ?? 0) bytes)")
            }
        }
        if entries.count > 10 { lines.append("\(indent)… and \(entries.count - 10) more") }
        return lines.joined(separator: "\n")
    }
}
