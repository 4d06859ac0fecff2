import EnvTesting
import Foundation
import SQLite
import Testing

@testable import Env

@Suite("Store")
struct StoreTests {
    let created = Date(timeIntervalSince1970: 1_800_000_000.25)
    let calculator = ScoreCalculator(higherIsBetter: true, leaderboards: [:], random: 0, bestKnown: 1)

    private func state(_ id: String) -> SessionState {
        SessionState(sessionID: id, taskID: "penguins-species", budget: Budget(maxSteps: 4, timeLimitSeconds: 600, execTimeoutSeconds: 30),
                     scoreSplit: .full, rewardMode: .normalized, createdAt: created)
    }

    private func step(_ sequence: Int, _ action: Action, params: [String: JSONValue] = [:], ok: Bool = true) -> StepRecord {
        let request: JSONValue = ["v": 1, "id": .string("r\(sequence)"), "action": .string(action.rawValue), "params": .object(params)]
        let reply = ok ? Reply.success(id: "r\(sequence)", result: ["n": .number(Double(sequence))])
            : Reply.failure(id: "r\(sequence)", error: EnvError(.timeout, "slow"))
        return StepRecord(sequence: sequence, action: action, request: request, reply: reply,
                          at: created.addingTimeInterval(Double(sequence)), durationSeconds: 0.5,
                          artifacts: ok ? ["code": .string("steps/\(sequence)/main.py")] : nil)
    }

    /// Opens a session, runs one graded step on it and stores both; returns the state after them.
    private func seed(_ store: Store, _ id: String, workspace: URL) async throws -> SessionState {
        var state = state(id)
        let resetSequence = try state.begin(.reset, at: created)
        try await store.createSession(state, workspace: workspace, reset: step(resetSequence, .reset, params: ["task": "penguins-species"]))
        let sequence = try state.begin(.executeCode, at: created)
        state.finish(score: SubmissionScore(raw: 0.75, normalized: 0.75, full: 0.75), calculator: calculator)
        try await store.recordStep(step(sequence, .executeCode, params: ["code": "print(1)"]), state: state)
        return state
    }

    @Test func sessionsAndStepsRoundTrip() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "nested/db.sqlite").path)  // creates the folder
        let workspace = folder.url.appending(path: "runs/s1/workspace")
        let state = try await seed(store, "s1", workspace: workspace)

        let loaded = try #require(try await store.loadSession("s1"))
        #expect(loaded.state == state)
        #expect(loaded.state.best?.raw == 0.75 && loaded.state.stepsUsed == 1)
        #expect(loaded.workspace.path == workspace.path)

        let steps = try await store.steps(of: "s1")
        #expect(steps.count == 2)
        #expect(steps.map { $0["seq"] } == [1, 2])
        #expect(steps.map { $0["action"] } == ["reset", "execute_code"])
        #expect(steps[0]["params"] == ["task": "penguins-species"])
        #expect(steps[1]["params"] == ["code": "print(1)"])
        #expect(steps[1]["ok"] == true)
        #expect(steps[1]["reply"] == Reply.success(id: "r2", result: ["n": 2]))
        #expect(steps[1]["duration_s"] == 0.5)
        #expect(steps[1]["artifacts"] == ["code": "steps/2/main.py"])
        #expect(steps[1]["at"]?.stringValue?.hasPrefix("2027-01-15T08:00:02") == true)
    }

    @Test func failedStepsAreStoredNotOk() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "db.sqlite").path)
        var state = try await seed(store, "s1", workspace: folder.url)
        let sequence = try state.begin(.evaluate, at: created)
        state.finish(score: nil, calculator: calculator)
        try await store.recordStep(step(sequence, .evaluate, ok: false), state: state)
        let last = try #require(try await store.steps(of: "s1").last)
        #expect(last["ok"] == false && last["artifacts"] == .null)
        #expect(last["reply"]?["error"]?["code"] == "TIMEOUT")
    }

    @Test func aSessionIsFoundByItsExactBytesOnly() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "db.sqlite").path)
        _ = try await seed(store, "s1", workspace: folder.url)
        #expect(try await store.loadSession("s1") != nil)
        for alias in ["s1\u{0}", "s1\u{0}x", "S1", "s1 "] {
            #expect(try await store.loadSession(alias) == nil, "an id names its session byte for byte only")
        }
    }

    @Test func unknownSessionsAreNil() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "db.sqlite").path)
        #expect(try await store.loadSession("nope") == nil)
        #expect(try await store.steps(of: "nope").isEmpty)
        #expect(try await store.sessionCounts() == (0, 0))
    }

    @Test func aReopenedStoreSeesTheSameRows() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url.appending(path: "db.sqlite").path
        var state: SessionState
        do {
            let store = try Store(path: path)
            state = try await seed(store, "s1", workspace: folder.url)
            state.close()
            try await store.recordStep(step(3, .close), state: state)
        }
        let reopened = try Store(path: path)
        let loaded = try #require(try await reopened.loadSession("s1"))
        #expect(loaded.state == state && loaded.state.isClosed)
        #expect(try await reopened.steps(of: "s1").map { $0["action"] } == ["reset", "execute_code", "close"])
        #expect(try await reopened.sessionCounts() == (0, 1))
        // The database is in WAL mode.
        let raw = try SQLiteDatabase(path: path)
        #expect(try raw.query("PRAGMA journal_mode") == [["journal_mode": "wal"]])
        #expect(try raw.query("SELECT status FROM sessions") == [["status": "closed"]])
    }

    @Test func sessionCountsSplitOpenAndClosed() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "db.sqlite").path)
        for id in ["a", "b", "c"] { _ = try await seed(store, id, workspace: folder.url) }
        var closing = try #require(try await store.loadSession("b")).state
        _ = try closing.begin(.close, at: created)
        closing.close()
        try await store.recordStep(step(closing.nextSequence - 1, .close), state: closing)
        let counts = try await store.sessionCounts()
        #expect(counts.open == 2 && counts.total == 3)
    }

    @Test func aDuplicateStepChangesNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "db.sqlite").path)
        let before = try await seed(store, "s1", workspace: folder.url)
        var after = before
        after.close()
        // Sequence 2 is taken: the step insert fails, so the state update must roll back with it.
        await #expect(throws: SQLiteError.self) { try await store.recordStep(step(2, .close), state: after) }
        #expect(try await store.loadSession("s1")?.state == before)
        #expect(try await store.steps(of: "s1").count == 2)
    }

    @Test func aDuplicateSessionIsRefusedWhole() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try Store(path: folder.url.appending(path: "db.sqlite").path)
        _ = try await seed(store, "s1", workspace: folder.url)
        await #expect(throws: SQLiteError.self) {
            try await store.createSession(state("s1"), workspace: folder.url, reset: step(1, .reset))
        }
        #expect(try await store.steps(of: "s1").count == 2)
    }
}
