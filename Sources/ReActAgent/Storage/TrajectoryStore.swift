import Foundation
import SQLite
import Wire

/// The agent's own SQLite database (WAL): one row per run (settings, verdict, scores, tokens, cost)
/// and one per turn (prompt, reply, action, observation, tokens, time), written as the run goes, so
/// a crash keeps every finished turn. The API key is never passed in, so it cannot be stored.
public actor TrajectoryStore {
    private let database: SQLiteDatabase
    public nonisolated let path: String

    public init(path: String) throws(AgentError) {
        self.path = path
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            try database.execute(Self.schema)
        } catch {
            throw .storage("\(path): \(error)")
        }
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS agent_runs (
            run_id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            policy TEXT NOT NULL,
            model TEXT,
            server TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,          -- running | done
            verdict TEXT,                  -- solvable | not_solvable | error
            end_reason TEXT,
            session TEXT,
            metric TEXT,
            higher_is_better INTEGER,
            best_score REAL,
            random_score REAL,
            random_source TEXT,
            normalized_score REAL,
            steps_used INTEGER,
            max_steps INTEGER,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            cost_usd REAL,
            duration_s REAL,
            settings TEXT,                 -- JSON: limits, base URL, price table date (never the API key)
            report TEXT                    -- JSON: the run's full summary (verdict, reasons, final grade)
        );
        CREATE TABLE IF NOT EXISTS agent_turns (
            run_id TEXT NOT NULL REFERENCES agent_runs(run_id),
            turn INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            prompt TEXT NOT NULL,          -- JSON: the messages sent this turn
            user_message TEXT NOT NULL,    -- this turn's own prompt, in full
            reply TEXT NOT NULL,
            reasoning TEXT,
            repairs TEXT NOT NULL,         -- JSON: unparseable replies and the repair prompts
            action TEXT,
            params TEXT,                   -- JSON
            observation TEXT,              -- JSON: the observation as the server sent it
            observation_text TEXT,         -- what the model read of it
            error TEXT,
            reward REAL,
            score REAL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            model_s REAL NOT NULL,
            env_s REAL NOT NULL,
            retries TEXT NOT NULL,         -- JSON: HTTP retries made while deciding
            PRIMARY KEY (run_id, turn)
        );
        """

    /// Records the start of a run.
    public func beginRun(id: String, task: String, policy: String, model: String?, server: String, maxSteps: Int,
                         settings: JSONValue) throws(AgentError) {
        try write {
            try database.run("""
                INSERT INTO agent_runs (run_id, task, policy, model, server, started_at, status, max_steps, settings)
                VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)
                """, [.text(id), .text(task), .text(policy), SQLiteValue(model), .text(server), .text(Self.timestamp(Date())),
                      SQLiteValue(maxSteps), .text(settings.encodedString())])
        }
    }

    /// Records one finished turn.
    public func recordTurn(runID: String, _ turn: TurnRecord) throws(AgentError) {
        let prompt = JSONValue.array(turn.prompt.map(\.json)).encodedString()
        try write {
            try database.run("""
                INSERT OR REPLACE INTO agent_turns (run_id, turn, started_at, prompt, user_message, reply, reasoning, repairs, action,
                    params, observation, observation_text, error, reward, score, prompt_tokens, completion_tokens, cost_usd, model_s,
                    env_s, retries)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(runID), SQLiteValue(turn.turn), .text(Self.timestamp(turn.startedAt)), .text(prompt), .text(turn.userMessage),
                    .text(turn.reply), SQLiteValue(turn.reasoning), .text(JSONValue.array(turn.repairs.map(\.json)).encodedString()),
                    SQLiteValue(turn.action?.name), SQLiteValue(turn.action.map { JSONValue.object($0.params).encodedString() }),
                    SQLiteValue(turn.observation?.json.encodedString()), SQLiteValue(turn.observationText), SQLiteValue(turn.error),
                    SQLiteValue(turn.observation.map { $0.reward }), SQLiteValue(turn.score),
                    SQLiteValue(turn.usage.promptTokens), SQLiteValue(turn.usage.completionTokens), SQLiteValue(turn.costUSD),
                    SQLiteValue(turn.modelSeconds), SQLiteValue(turn.envSeconds),
                    .text(JSONValue.array(turn.retries.map { .string($0) }).encodedString()),
                ])
        }
    }

    /// Records the end of a run with its report.
    public func finishRun(_ report: RunReport) throws(AgentError) {
        try write {
            try database.run("""
                UPDATE agent_runs SET finished_at = ?, status = 'done', verdict = ?, end_reason = ?, session = ?, metric = ?,
                    higher_is_better = ?, best_score = ?, random_score = ?, random_source = ?, normalized_score = ?, steps_used = ?,
                    prompt_tokens = ?, completion_tokens = ?, cost_usd = ?, duration_s = ?, report = ?
                WHERE run_id = ?
                """, [
                    .text(Self.timestamp(Date())), .text(report.verdict.status.rawValue), SQLiteValue(report.endReason?.code),
                    SQLiteValue(report.session), .text(report.metric), SQLiteValue(report.higherIsBetter ? 1 : 0),
                    SQLiteValue(report.bestScore), SQLiteValue(report.random.score), .text(report.random.source),
                    SQLiteValue(report.normalizedScore), SQLiteValue(report.stepsUsed), SQLiteValue(report.usage.promptTokens),
                    SQLiteValue(report.usage.completionTokens), SQLiteValue(report.costUSD), SQLiteValue(report.seconds),
                    .text(report.json.encodedString()), .text(report.runID),
                ])
        }
    }

    /// Finished runs (all, or those of `task`), oldest first, as stored rows.
    public func runs(task: String? = nil) throws(AgentError) -> [[String: SQLiteValue]] {
        try read {
            if let task {
                return try database.query("SELECT * FROM agent_runs WHERE status = 'done' AND task = ? ORDER BY started_at, run_id", [.text(task)])
            }
            return try database.query("SELECT * FROM agent_runs WHERE status = 'done' ORDER BY started_at, run_id")
        }
    }

    /// The turns of a run, in order, as stored rows.
    public func turns(runID: String) throws(AgentError) -> [[String: SQLiteValue]] {
        try read { try database.query("SELECT * FROM agent_turns WHERE run_id = ? ORDER BY turn", [.text(runID)]) }
    }

    private func write(_ body: () throws -> Void) throws(AgentError) {
        do { try body() } catch { throw .storage("\(path): \(error)") }
    }

    private func read<T>(_ body: () throws -> T) throws(AgentError) -> T {
        do { return try body() } catch { throw .storage("\(path): \(error)") }
    }

    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
