import Wire

/// The loop's working state between turns.
struct LoopState: Sendable {
    var machine: EpisodeMachine
    var window: [ConversationWindow.Turn] = []
    var pending: String
    var pendingCompact: String
    var lastObservation: ObservationView?
    var lastAction: AgentAction?
    var turn = 0

    init(machine: EpisodeMachine, pending: String, pendingCompact: String) {
        self.machine = machine
        self.pending = pending
        self.pendingCompact = pendingCompact
    }

    /// Applies an event; an event the machine refuses (a bug in the runner) ends the episode instead of being lost.
    mutating func apply(_ event: EpisodeMachine.Event) {
        do { try machine.apply(event) } catch { machine.abort(.environmentFailed("internal: \(error)")) }
    }

    /// Closes the current turn into the window and makes `next` the pending prompt.
    mutating func advance(reply: String, action: AgentAction, observation: ObservationView?, next: (full: String, compact: String)) {
        window.append(ConversationWindow.Turn(user: pending, compactUser: pendingCompact, assistant: reply))
        pending = next.full
        pendingCompact = next.compact
        lastObservation = observation
        lastAction = action
    }
}
