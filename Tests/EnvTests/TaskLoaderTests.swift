import Foundation
import Testing

@testable import Env

/// The loader builds tasks only from the resolver's answer, and refuses answers it cannot trust.
@Suite("TaskLoader")
struct TaskLoaderTests {
    static let resolved: JSONValue = [
        "id": "weather", "layout": "dojo", "source": "openmle", "title": "Weather", "modality": "tabular",
        "task_type": .null, "objective": "",
        "metric": ["name": "accuracy", "class": "WeatherMetrics", "file": "utils/metric.py", "higher_is_better": false,
                   "direction_source": "info/task_metadata.json higher_is_better"],
        "files": ["description": "data/public/description.txt", "prepare": .null, "raw": false, "metadata": .null],
        "prepared": true,
        "leaderboards": ["private": ["path": "info/private_leaderboard.csv", "scores": [0.1, 0.2]]],
        "scoring": ["public_fraction": 0.25, "seed": 7],
        "manifest": [:], "metadata": [:], "problems": [], "untrusted_code": false,
        "reference_scores": [
            "random": ["value": 0.9, "source": "data/public/sample_submission.csv graded on all test rows"],
            "baseline": .null,
            "best_known": ["value": 0.1, "source": "info/private_leaderboard.csv (best entry)"],
        ],
    ]

    @Test func buildsTheTaskFromTheResolvedAnswer() throws {
        let folder = URL(fileURLWithPath: "/tasks/weather")
        let task = try CompetitionTask(resolved: Self.resolved, directory: folder)
        #expect(task.id == "weather" && task.layout == .dojo && !task.higherIsBetter)
        #expect(task.descriptionFile?.path == "/tasks/weather/data/public/description.txt")
        #expect(task.leaderboards == ["private": [0.1, 0.2]])
        #expect(task.publicFraction == 0.25 && task.splitSeed == 7)
        #expect(task.referenceScores.random == 0.9 && task.referenceScores.bestKnown == 0.1)
        #expect(task.referenceScores.baseline == nil)
        #expect(task.referenceScores.json["best_known"]?["source"] == "info/private_leaderboard.csv (best entry)")
        #expect(ScoreCalculator(task: task).normalized(0.5) == 0.5)
    }

    @Test(arguments: ["layout", "metric", "scoring", "id", "reference_scores"])
    func refusesAnAnswerWithABrokenField(_ field: String) {
        guard case .object(var fields) = Self.resolved else { return }
        fields[field] = field == "reference_scores" ? ["random": ["value": "high", "source": "x"]] : 42
        #expect(throws: EnvError.self) { try CompetitionTask(resolved: .object(fields), directory: URL(fileURLWithPath: "/t")) }
    }

    @Test func loadAllReportsWhatTheResolverRefused() async {
        let loader = TaskLoader(
            discover: { _ in
                [["dir": "/tasks/weather", "ok": true, "task": Self.resolved],
                 ["dir": "/tasks/broken", "ok": false, "error": "no metric class", "error_type": "MetricError"]]
            },
            resolve: { _ in Self.resolved })
        let loaded = await loader.loadAll(from: URL(fileURLWithPath: "/tasks"))
        #expect(loaded.tasks.map(\.id) == ["weather"])
        #expect(loaded.problems == ["broken: MetricError: no metric class"])
        let failing = TaskLoader(discover: { _ in throw EnvError(.internal, "grader down") }, resolve: { _ in .null })
        let none = await failing.loadAll(from: URL(fileURLWithPath: "/tasks"))
        #expect(none.tasks.isEmpty && none.problems.count == 1)
    }
}
