import SQLite
import Wire

/// What every export format shares: one encoded document per stored run (all runs, or those of a task).
enum RunExport {
    static func lines(from store: TrajectoryStore, task: String?,
                      _ document: ([String: SQLiteValue], [[String: SQLiteValue]]) -> JSONValue) async throws(AgentError) -> [String] {
        var lines: [String] = []
        for run in try await store.runs(task: task) {
            guard let runID = run["run_id"]?.text else { continue }
            lines.append(document(run, try await store.turns(runID: runID)).encodedString())
        }
        return lines
    }
}
