import Foundation
import ReActAgent
import SQLite

/// The evaluation results database (SQLite, WAL) with exactly the schema of protocol/evaluation.md:
/// one `eval_runs` row per run (written `running` at its start, then `finished` or `failed`) and one
/// `eval_steps` row per step. `python -m mledojo.evaluation` reads it.
public actor EvalStore {
    private let database: SQLiteDatabase
    public nonisolated let path: String

    public init(path: String) throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        try database.execute(Self.schema)
    }

    /// protocol/evaluation.md §1, verbatim but for IF NOT EXISTS.
    public static let schema = """
        CREATE TABLE IF NOT EXISTS eval_runs (
            run_key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            task TEXT NOT NULL,
            run_index INTEGER NOT NULL,
            status TEXT NOT NULL,
            task_source TEXT,
            task_modality TEXT,
            higher_is_better INTEGER,
            best_score REAL,
            random_score REAL,
            best_known REAL,
            steps INTEGER,
            prompt_tokens INTEGER, completion_tokens INTEGER,
            cost_usd REAL,
            seconds REAL,
            end_reason TEXT,
            error TEXT,
            started_at TEXT, finished_at TEXT
        );
        CREATE TABLE IF NOT EXISTS eval_steps (
            run_key TEXT NOT NULL,
            step INTEGER NOT NULL,
            action TEXT NOT NULL,
            score REAL,
            PRIMARY KEY (run_key, step)
        );
        """

    /// The keys of every finished run (never played again).
    public func finishedKeys() throws -> Set<EvalKey> {
        let rows = try database.query("SELECT model, task, run_index FROM eval_runs WHERE status = 'finished'")
        return Set(rows.compactMap { row in
            guard let model = row["model"]?.text, let task = row["task"]?.text, let index = row["run_index"]?.integer else { return nil }
            return EvalKey(model: model, task: task, runIndex: Int(index))
        })
    }

    /// A run starts (or starts again): its row becomes `running` with the task's facts, its old steps go.
    public func beginRun(_ key: EvalKey, task: TaskListing) throws {
        try database.transaction {
            try database.run("DELETE FROM eval_steps WHERE run_key = ?", [.text(key.runKey)])
            try database.run("""
                INSERT OR REPLACE INTO eval_runs (run_key, model, task, run_index, status, task_source, task_modality, higher_is_better,
                    started_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)
                """, [.text(key.runKey), .text(key.model), .text(key.task), SQLiteValue(key.runIndex),
                      SQLiteValue(task.source.isEmpty ? nil : task.source), SQLiteValue(task.modality.isEmpty ? nil : task.modality),
                      SQLiteValue(task.higherIsBetter ? 1 : 0), .text(Self.now())])
        }
    }

    /// One step of a running run.
    public func recordStep(_ key: EvalKey, step: Int, action: String, score: Double?) throws {
        try database.run("INSERT OR REPLACE INTO eval_steps (run_key, step, action, score) VALUES (?, ?, ?, ?)",
                         [.text(key.runKey), SQLiteValue(step), .text(action), SQLiteValue(score.flatMap { $0.isFinite ? $0 : nil })])
    }

    /// The run ended as an episode (with or without a graded submission).
    public func finishRun(_ key: EvalKey, _ outcome: EvalRunOutcome) throws {
        try database.run("""
            UPDATE eval_runs SET status = 'finished', best_score = ?, random_score = ?, best_known = ?, steps = ?, prompt_tokens = ?,
                completion_tokens = ?, cost_usd = ?, seconds = ?, end_reason = ?, error = NULL, finished_at = ? WHERE run_key = ?
            """, [SQLiteValue(outcome.bestScore.flatMap { $0.isFinite ? $0 : nil }), SQLiteValue(outcome.randomScore), SQLiteValue(outcome.bestKnown),
                  SQLiteValue(outcome.steps), SQLiteValue(outcome.promptTokens), SQLiteValue(outcome.completionTokens),
                  SQLiteValue(outcome.costUSD), SQLiteValue(outcome.seconds), SQLiteValue(outcome.endReason), .text(Self.now()),
                  .text(key.runKey)])
    }

    /// The run itself broke (the server went away, the model endpoint failed): played again next time.
    public func failRun(_ key: EvalKey, error: String, seconds: Double, endReason: String?) throws {
        try database.run("""
            UPDATE eval_runs SET status = 'failed', error = ?, seconds = ?, end_reason = ?, finished_at = ? WHERE run_key = ?
            """, [.text(error), SQLiteValue(seconds), SQLiteValue(endReason), .text(Self.now()), .text(key.runKey)])
    }

    /// Rows of a read query (for reports and tests).
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws -> [[String: SQLiteValue]] {
        try database.query(sql, values)
    }

    static func now() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
