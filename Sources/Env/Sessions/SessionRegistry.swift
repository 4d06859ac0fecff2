import Foundation

/// The sessions of a running server: their state machines, workspaces and runs in flight.
/// Sessions from before a restart are loaded from the store on first use. Ids are matched byte for byte
/// (`Identifier`), exactly as the store's SQLite lookups match them.
public actor SessionRegistry {
    struct Entry {
        var state: SessionState
        let workspace: URL
        var run: RunCancellation?
        var lastActive = Date()
    }

    private var entries: [Identifier: Entry] = [:]
    private let store: Store

    public init(store: Store) {
        self.store = store
    }

    func add(_ state: SessionState, workspace: URL) {
        entries[Identifier(state.sessionID)] = Entry(state: state, workspace: workspace)
    }

    /// Starts `action` on a session: checks it is open, idle and within budget; returns its step number.
    func begin(_ sessionID: String, action: Action, at now: Date) async throws -> (sequence: Int, state: SessionState, workspace: URL) {
        let key = try await load(sessionID)
        guard var entry = entries[key] else { throw EnvError(.noSuchSession, "no session '\(sessionID)'") }
        let sequence = try entry.state.begin(action, at: now)
        entry.lastActive = now
        entries[key] = entry
        return (sequence, entry.state, entry.workspace)
    }

    /// Ends the action in flight; returns the state after it and the step's reward.
    func finish(_ sessionID: String, score: SubmissionScore?, rejected: Bool = false, calculator: ScoreCalculator,
                closing: Bool = false, refund: Bool = false) throws -> (SessionState, Double) {
        let key = Identifier(sessionID)
        guard var entry = entries[key] else { throw EnvError(.internal, "session '\(sessionID)' finished an action it never began") }
        let reward = entry.state.finish(score: score, rejected: rejected, calculator: calculator)
        if refund { entry.state.refundStep() }
        if closing { entry.state.close() }
        entry.run = nil
        entry.lastActive = Date()
        entries[key] = entry
        return (entry.state, reward)
    }

    /// The state and workspace of a session (loading it from the store if needed).
    func snapshot(_ sessionID: String) async throws -> (state: SessionState, workspace: URL) {
        let key = try await load(sessionID)
        guard let entry = entries[key] else { throw EnvError(.noSuchSession, "no session '\(sessionID)'") }
        return (entry.state, entry.workspace)
    }

    func attach(_ sessionID: String, run: RunCancellation) { entries[Identifier(sessionID)]?.run = run }

    /// Stops the run in flight of a session; false when nothing was running.
    func cancel(_ sessionID: String) async throws -> Bool {
        let key = try await load(sessionID)
        guard let entry = entries[key] else { throw EnvError(.noSuchSession, "no session '\(sessionID)'") }
        return entry.run?.cancel() ?? false
    }

    /// Open, idle sessions untouched for `seconds`.
    func idle(olderThan seconds: Double, now: Date = Date()) -> [String] {
        entries.filter { !$0.value.state.isClosed && !$0.value.state.isRunning && now.timeIntervalSince($0.value.lastActive) > seconds }
            .map(\.key.text)
    }

    /// Cancels every run in flight (server shutdown).
    func cancelAll() { entries.values.forEach { $0.run?.cancel() } }

    /// Loads a session from before a restart into the registry if the store has it; returns its key.
    /// The stored row must carry exactly this id, so an id can never load another session's state.
    @discardableResult
    private func load(_ sessionID: String) async throws -> Identifier {
        let key = Identifier(sessionID)
        guard entries[key] == nil else { return key }
        guard let stored = try await store.loadSession(sessionID), Identifier(stored.state.sessionID) == key else { return key }
        guard entries[key] == nil else { return key }  // loaded by a concurrent call meanwhile
        var state = stored.state
        state.recoverAfterRestart()
        entries[key] = Entry(state: state, workspace: stored.workspace)
        return key
    }
}
