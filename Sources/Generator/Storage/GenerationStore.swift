import Foundation
import SQLite
import Wire

/// Every generation run, candidate, stage transition, agent run, turn and tool call, in SQLite (WAL):
/// what `mledojo generate` did, why a candidate was kept or rejected, how long each stage took and what
/// each LLM agent said, called and spent.
public actor GenerationStore {
    let database: SQLiteDatabase

    public init(path: String) throws {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        try database.execute(Self.schema)
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS generation_runs (
            run_id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            settings TEXT NOT NULL,        -- JSON
            summary TEXT                   -- JSON, when finished
        );
        CREATE TABLE IF NOT EXISTS candidates (
            run_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            dataset TEXT NOT NULL,
            status TEXT NOT NULL,          -- running | verified | rejected
            objective TEXT,
            metric TEXT,
            seconds REAL,
            defects TEXT,                  -- JSON array
            report TEXT,                   -- JSON
            PRIMARY KEY (run_id, candidate_id)
        );
        CREATE TABLE IF NOT EXISTS transitions (
            run_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            stage TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            outcome TEXT NOT NULL,         -- passed | skipped | failed
            detail TEXT,                   -- JSON: defects, the skip reason, the stage's own report
            next TEXT NOT NULL,            -- the stage entered, or verified | rejected
            seconds REAL NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (run_id, candidate_id, seq)
        );
        CREATE TABLE IF NOT EXISTS agent_runs (
            run_id TEXT NOT NULL,
            invocation TEXT NOT NULL,      -- <scope>/<role>/<attempt>
            scope TEXT NOT NULL,           -- the dataset (brainstormer) or the candidate
            role TEXT NOT NULL,            -- brainstormer | designer | refactor | reviewer
            attempt INTEGER NOT NULL,
            end_reason TEXT,               -- finished | step_budget | model_error; null while running
            error TEXT,
            steps INTEGER NOT NULL DEFAULT 0,
            tool_calls INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            seconds REAL,
            result TEXT,                   -- JSON: the finish arguments
            PRIMARY KEY (run_id, invocation)
        );
        CREATE TABLE IF NOT EXISTS agent_turns (
            run_id TEXT NOT NULL,
            invocation TEXT NOT NULL,
            step INTEGER NOT NULL,
            tool TEXT,                     -- null: the reply held no usable call
            arguments TEXT,
            reply TEXT,
            result TEXT,
            ok INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            seconds REAL NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (run_id, invocation, step)
        );
        """

    public func beginRun(id: String, settings: JSONValue) throws {
        _ = try database.run("INSERT INTO generation_runs (run_id, started_at, settings) VALUES (?,?,?)",
                             [.text(id), .text(Self.now()), .text(settings.encodedString())])
    }

    public func finishRun(id: String, summary: JSONValue) throws {
        _ = try database.run("UPDATE generation_runs SET finished_at = ?, summary = ? WHERE run_id = ?",
                             [.text(Self.now()), .text(summary.encodedString()), .text(id)])
    }

    public func beginCandidate(run: String, id: String, dataset: String, objective: String?, metric: String?) throws {
        _ = try database.run(
            "INSERT OR REPLACE INTO candidates (run_id, candidate_id, dataset, status, objective, metric) VALUES (?,?,?,?,?,?)",
            [.text(run), .text(id), .text(dataset), .text("running"), objective.map { .text($0) } ?? .null,
             metric.map { .text($0) } ?? .null])
    }

    public func recordTransition(run: String, candidate: String, seq: Int, transition: CandidatePipeline.Transition,
                                 detail: JSONValue, seconds: Double) throws {
        _ = try database.run(
            "INSERT INTO transitions (run_id, candidate_id, seq, stage, attempt, outcome, detail, next, seconds, at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [.text(run), .text(candidate), .integer(Int64(seq)), .text(transition.from.rawValue), .integer(Int64(transition.attempt)),
             .text(transition.outcome.name), .text(detail.encodedString()), .text(transition.to.name), .real(seconds),
             .text(Self.now())])
    }

    public func finishCandidate(run: String, id: String, verified: Bool, seconds: Double, defects: [Defect], report: JSONValue) throws {
        _ = try database.run(
            "UPDATE candidates SET status = ?, seconds = ?, defects = ?, report = ? WHERE run_id = ? AND candidate_id = ?",
            [.text(verified ? "verified" : "rejected"), .real(seconds), .text(JSONValue.array(defects.map(\.json)).encodedString()),
             .text(report.encodedString()), .text(run), .text(id)])
    }

    /// The transitions of one candidate, in order: (stage, outcome, next).
    public func transitions(run: String, candidate: String) throws -> [(stage: String, outcome: String, next: String)] {
        try database.query("SELECT stage, outcome, next FROM transitions WHERE run_id = ? AND candidate_id = ? ORDER BY seq",
                           [.text(run), .text(candidate)]).map {
            ($0["stage"]?.text ?? "", $0["outcome"]?.text ?? "", $0["next"]?.text ?? "")
        }
    }

    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}

extension CandidatePipeline.Outcome {
    /// passed | skipped | failed
    public var name: String {
        switch self {
        case .passed: "passed"
        case .skipped: "skipped"
        case .failed: "failed"
        }
    }
}

extension CandidatePipeline.Phase {
    /// The stage entered, or verified | rejected.
    public var name: String {
        switch self {
        case .running(let stage, _): stage.rawValue
        case .verified: "verified"
        case .rejected: "rejected"
        }
    }
}
