import Foundation

/// Reads task folders from disk: ours (task.json) and MLE-Dojo competition folders, unchanged.
public struct TaskLoader: Sendable {
    /// Asks the trusted Python side for a metric's class name and direction (MLE-Dojo folders have no manifest).
    public typealias MetricDescriber = @Sendable (URL) async throws -> (className: String, higherIsBetter: Bool)

    private let describeMetric: MetricDescriber

    public init(describeMetric: @escaping MetricDescriber) {
        self.describeMetric = describeMetric
    }

    /// Loads every task folder directly under `root`; a folder that is not a task is skipped, a broken task is reported.
    public func loadAll(from root: URL) async -> (tasks: [CompetitionTask], problems: [String]) {
        let entries = (try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        var tasks: [CompetitionTask] = []
        var problems: [String] = []
        for folder in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) where Self.isTaskFolder(folder) {
            do { tasks.append(try await load(folder)) } catch { problems.append("\(folder.lastPathComponent): \(error)") }
        }
        return (tasks, problems)
    }

    public static func isTaskFolder(_ folder: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: folder.appending(path: "task.json").path)
            || manager.fileExists(atPath: folder.appending(path: "utils/metric.py").path)
    }

    /// Loads one task folder.
    public func load(_ folder: URL) async throws -> CompetitionTask {
        let folder = folder.standardizedFileURL
        let manifestFile = folder.appending(path: "task.json")
        if FileManager.default.fileExists(atPath: manifestFile.path) {
            return try loadManifestTask(folder, manifestFile)
        }
        return try await loadDojoTask(folder)
    }

    private func loadManifestTask(_ folder: URL, _ manifestFile: URL) throws -> CompetitionTask {
        let manifest: JSONValue
        do { manifest = try JSONValue.decode(Data(contentsOf: manifestFile)) } catch {
            throw EnvError(.badRequest, "task.json is not valid JSON: \(error.localizedDescription)")
        }
        func required(_ value: JSONValue?, _ name: String) throws -> String {
            guard let text = value?.stringValue, !text.isEmpty else { throw EnvError(.badRequest, "task.json lacks '\(name)'") }
            return text
        }
        let id = try required(manifest["id"], "id")
        guard id == folder.lastPathComponent else {
            throw EnvError(.badRequest, "task.json id '\(id)' differs from its folder name '\(folder.lastPathComponent)'")
        }
        guard let higherIsBetter = manifest["metric"]?["higher_is_better"]?.boolValue else {
            throw EnvError(.badRequest, "task.json lacks metric.higher_is_better")
        }
        let references = manifest["reference_scores"]
        return CompetitionTask(
            id: id,
            title: try required(manifest["title"], "title"),
            source: manifest["source"]?.stringValue ?? "mledojo",
            modality: manifest["modality"]?.stringValue ?? "tabular",
            objective: manifest["objective"]?.stringValue ?? "",
            metricName: try required(manifest["metric"]?["name"], "metric.name"),
            higherIsBetter: higherIsBetter,
            layout: .mledojo,
            directory: folder,
            referenceScores: .init(
                random: references?["random"]?.numberValue,
                baseline: references?["baseline"]?.numberValue,
                bestKnown: references?["best_known"]?.numberValue),
            leaderboards: Self.readLeaderboards(folder),
            publicFraction: manifest["scoring"]?["public_fraction"]?.numberValue ?? 0.5,
            splitSeed: manifest["scoring"]?["seed"]?.integerValue ?? 2026,
            manifest: manifest)
    }

    private func loadDojoTask(_ folder: URL) async throws -> CompetitionTask {
        let metric = try await describeMetric(folder)
        let id = folder.lastPathComponent
        let title = id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        return CompetitionTask(
            id: id, title: title, source: "dojo", modality: "tabular", objective: "",
            metricName: metric.className, higherIsBetter: metric.higherIsBetter, layout: .dojo, directory: folder,
            referenceScores: .init(), leaderboards: Self.readLeaderboards(folder),
            publicFraction: 0.5, splitSeed: 2026, manifest: .object([:]))
    }

    /// MLE-Dojo's `rank,score` CSVs, from data/private or info/.
    static func readLeaderboards(_ folder: URL) -> [String: [Double]] {
        var boards: [String: [Double]] = [:]
        for name in ["public", "private"] {
            for place in ["data/private", "info"] {
                let file = folder.appending(path: "\(place)/\(name)_leaderboard.csv")
                guard boards[name] == nil, let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
                let scores = Leaderboard.parseScores(csv: text)
                if !scores.isEmpty { boards[name] = scores }
            }
        }
        return boards
    }
}
