import Foundation

/// A competition task the server can serve: where its files are and how it is scored, as the one
/// resolver (python/mledojo/resolve.py) decided it.
public struct CompetitionTask: Sendable {
    /// The folder layouts the resolver accepts: ours (task.json at the top) and MLE-Dojo's (utils/metric.py),
    /// which also covers prepared Dojo and OpenMLE packages.
    public enum Layout: String, Sendable { case mledojo, dojo }

    /// One reference score and where it came from (task.json, a leaderboard, the graded sample...).
    public struct Reference: Sendable, Equatable {
        public var value: Double
        public var source: String

        public init(value: Double, source: String) {
            self.value = value
            self.source = source
        }

        public var json: JSONValue { ["value": .number(value), "source": .string(source)] }
    }

    /// Reference scores for normalisation: 0 at `random`, 1 at `bestKnown`.
    public struct ReferenceScores: Sendable {
        public var randomReference: Reference?
        public var baselineReference: Reference?
        public var bestKnownReference: Reference?

        public init(random: Reference? = nil, baseline: Reference? = nil, bestKnown: Reference? = nil) {
            randomReference = random
            baselineReference = baseline
            bestKnownReference = bestKnown
        }

        public var random: Double? { randomReference?.value }
        public var baseline: Double? { baselineReference?.value }
        public var bestKnown: Double? { bestKnownReference?.value }

        /// `{"random": {"value", "source"} | null, "baseline": …, "best_known": …}`.
        public var json: JSONValue {
            [
                "random": randomReference?.json ?? .null, "baseline": baselineReference?.json ?? .null,
                "best_known": bestKnownReference?.json ?? .null,
            ]
        }
    }

    public let id: String
    public let title: String
    public let source: String
    public let modality: String
    public let objective: String
    public let metricName: String
    public let higherIsBetter: Bool
    public let layout: Layout
    public let directory: URL
    public let referenceScores: ReferenceScores
    /// The leaderboards (scores only) that position scores rank against; empty when the task has none.
    public let leaderboards: [String: [Double]]
    public let publicFraction: Double
    public let splitSeed: Int
    /// The description agents read, relative to `directory`; nil when the task has none.
    public let descriptionPath: String?
    /// The resolver's whole answer (protocol/schemas/resolved_task.json): the `metadata` info type shows parts of it.
    public let resolved: JSONValue
    /// Its code (metric, prepare) was written by an LLM (task.json `generated.designer == "llm"`): the server
    /// runs it only in the grader for untrusted code, in the sandbox (`EnvService.grader(for:)`).
    public let untrustedCode: Bool

    /// task.json as written (empty for other layouts).
    public var manifest: JSONValue { resolved["manifest"] ?? .object([:]) }

    public var publicDataDirectory: URL { directory.appending(path: "data/public") }
    public var privateDataDirectory: URL { directory.appending(path: "data/private") }
    public var answersFile: URL { privateDataDirectory.appending(path: "test_answer.csv") }

    /// The participant-facing description, as the resolver found it.
    public var descriptionFile: URL? { descriptionPath.map { directory.appending(path: $0) } }

    /// Prepared data exists: the public folder and the answers.
    public var isReady: Bool {
        FileManager.default.fileExists(atPath: answersFile.path)
            && FileManager.default.fileExists(atPath: publicDataDirectory.path)
    }

    /// The short listing `list_tasks` returns.
    public var summary: JSONValue {
        [
            "id": .string(id), "title": .string(title), "source": .string(source), "modality": .string(modality),
            "metric": .string(metricName), "higher_is_better": .bool(higherIsBetter), "ready": .bool(isReady),
        ]
    }
}
