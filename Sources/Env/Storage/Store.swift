import Foundation
import SQLite

/// The server's SQLite database (WAL): tasks, sessions and every step's request and reply.
/// A step is written before its reply is sent, so a killed server restarts with every answered step.
public actor Store {
    private let database: SQLiteDatabase

    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
        try database.execute(Self.schema)
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS tasks (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, path TEXT NOT NULL,
            metric TEXT NOT NULL, higher_is_better INTEGER NOT NULL, seen_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY, task_id TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL,
            state TEXT NOT NULL, progress TEXT NOT NULL, workspace TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS steps (
            session_id TEXT NOT NULL REFERENCES sessions(id), seq INTEGER NOT NULL, action TEXT NOT NULL,
            request TEXT NOT NULL, reply TEXT NOT NULL, ok INTEGER NOT NULL, at TEXT NOT NULL,
            duration_s REAL NOT NULL, artifacts TEXT, PRIMARY KEY (session_id, seq));
        """

    /// Records the tasks the server loaded (for history and for tools reading the database).
    public func recordTasks(_ tasks: [CompetitionTask]) throws {
        let now = Self.timestamp(Date())
        try database.transaction {
            for task in tasks {
                try database.run(
                    """
                    INSERT INTO tasks (id, title, source, path, metric, higher_is_better, seen_at) VALUES (?,?,?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET title=excluded.title, source=excluded.source, path=excluded.path,
                    metric=excluded.metric, higher_is_better=excluded.higher_is_better, seen_at=excluded.seen_at
                    """,
                    [.text(task.id), .text(task.title), .text(task.source), .text(task.directory.path),
                     .text(task.metricName), .integer(task.higherIsBetter ? 1 : 0), .text(now)])
            }
        }
    }

    /// Creates a session row together with its first step (the reset) in one transaction.
    public func createSession(_ state: SessionState, workspace: URL, reset: StepRecord) throws {
        try database.transaction {
            try database.run(
                "INSERT INTO sessions (id, task_id, created_at, status, state, progress, workspace, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                [.text(state.sessionID), .text(state.taskID), .text(Self.timestamp(state.createdAt)), .text("open"),
                 .text(try Self.encode(state)), .text(state.progress.encodedString()), .text(workspace.path),
                 .text(Self.timestamp(Date()))])
            try insert(reset, sessionID: state.sessionID)
        }
    }

    /// Stores one answered step and the session's progress after it, atomically.
    public func recordStep(_ step: StepRecord, state: SessionState) throws {
        try database.transaction {
            try insert(step, sessionID: state.sessionID)
            try database.run(
                "UPDATE sessions SET progress = ?, status = ?, updated_at = ? WHERE id = ?",
                [.text(state.progress.encodedString()), .text(state.isClosed ? "closed" : "open"),
                 .text(Self.timestamp(Date())), .text(state.sessionID)])
        }
    }

    /// A stored session (state and workspace), or nil if the id is unknown.
    public func loadSession(_ id: String) throws -> (state: SessionState, workspace: URL)? {
        guard let row = try database.query("SELECT state, progress, workspace FROM sessions WHERE id = ?", [.text(id)]).first,
            let json = row["state"]?.text, let progress = row["progress"]?.text, let workspace = row["workspace"]?.text
        else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        var state = try decoder.decode(SessionState.self, from: Data(json.utf8))
        state.restore(progress: try JSONValue.decode(Data(progress.utf8)))
        return (state, URL(fileURLWithPath: workspace))
    }

    /// Every stored step of a session, oldest first.
    public func steps(of sessionID: String) throws -> [JSONValue] {
        try database.query(
            "SELECT seq, action, request, reply, ok, at, duration_s, artifacts FROM steps WHERE session_id = ? ORDER BY seq",
            [.text(sessionID)]
        ).map { row in
            let request = (try? JSONValue.decode(Data((row["request"]?.text ?? "null").utf8))) ?? .null
            let reply = (try? JSONValue.decode(Data((row["reply"]?.text ?? "null").utf8))) ?? .null
            let artifacts = row["artifacts"]?.text.flatMap { try? JSONValue.decode(Data($0.utf8)) } ?? .null
            return [
                "seq": .number(row["seq"]?.real), "action": .string(row["action"]?.text),
                "params": request["params"] ?? .object([:]), "ok": .bool(row["ok"]?.integer == 1),
                "reply": reply, "at": .string(row["at"]?.text), "duration_s": .number(row["duration_s"]?.real),
                "artifacts": artifacts,
            ]
        }
    }

    private var lastSandboxUID: UInt32?

    /// A host uid for a new session's sandbox, distinct for the next 50 000 sessions.
    public func nextSandboxUID() -> UInt32 {
        let base: UInt32 = 200_000
        if lastSandboxUID == nil {
            let count = (try? database.query("SELECT COUNT(*) AS n FROM sessions").first?["n"]?.integer) ?? 0
            lastSandboxUID = base + UInt32(count % 50_000)
        }
        let next = base + ((lastSandboxUID! - base + 1) % 50_000)
        lastSandboxUID = next
        return next
    }

    /// Session counts for `health`.
    public func sessionCounts() throws -> (open: Int, total: Int) {
        let row = try database.query(
            "SELECT COUNT(*) AS total, COALESCE(SUM(status = 'open'), 0) AS open FROM sessions").first
        return (Int(row?["open"]?.integer ?? 0), Int(row?["total"]?.integer ?? 0))
    }

    private func insert(_ step: StepRecord, sessionID: String) throws {
        try database.run(
            "INSERT INTO steps (session_id, seq, action, request, reply, ok, at, duration_s, artifacts) VALUES (?,?,?,?,?,?,?,?,?)",
            [.text(sessionID), .integer(Int64(step.sequence)), .text(step.action.rawValue), .text(step.request.encodedString()),
             .text(String(decoding: step.reply.bytes, as: UTF8.self)), .integer(step.reply.value["ok"]?.boolValue == true ? 1 : 0),
             .text(Self.timestamp(step.at)), .real(step.durationSeconds),
             step.artifacts.map { .text($0.encodedString()) } ?? .null])
    }

    static func encode(_ state: SessionState) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }

    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}

/// One step as stored: the request as received and the reply as sent (its very bytes).
public struct StepRecord: Sendable {
    public var sequence: Int
    public var action: Action
    public var request: JSONValue
    public var reply: EncodedReply
    public var at: Date
    public var durationSeconds: Double
    public var artifacts: JSONValue?

    public init(sequence: Int, action: Action, request: JSONValue, reply: EncodedReply, at: Date, durationSeconds: Double,
                artifacts: JSONValue? = nil) {
        self.sequence = sequence
        self.action = action
        self.request = request
        self.reply = reply
        self.at = at
        self.durationSeconds = durationSeconds
        self.artifacts = artifacts
    }

    public init(sequence: Int, action: Action, request: JSONValue, reply: JSONValue, at: Date, durationSeconds: Double,
                artifacts: JSONValue? = nil) {
        self.init(sequence: sequence, action: action, request: request, reply: EncodedReply(reply), at: at,
                  durationSeconds: durationSeconds, artifacts: artifacts)
    }
}
