import Foundation

/// Where an `eval run` stands, as a value: the planned keys, which were finished before (skipped),
/// which are pending, running, finished or failed now, and an ETA from the mean time of the runs
/// finished so far. Every change is an `Event`; a change that does not fit the current state is
/// refused and leaves the value as it was.
public struct EvalProgress: Sendable, Equatable {
    /// The state of one planned run.
    public enum RunState: Sendable, Equatable {
        /// Finished in an earlier `eval run`: not played again.
        case skipped
        case pending
        case running
        case finished(seconds: Double)
        case failed(error: String)
    }

    /// What happens to a run.
    public enum Event: Sendable, Equatable {
        case started(EvalKey)
        case finished(EvalKey, seconds: Double)
        case failed(EvalKey, error: String)
    }

    /// Why an event was refused.
    public struct TransitionError: Error, Equatable, CustomStringConvertible {
        public var event: Event
        public var state: RunState?
        public var description: String { "\(event) does not apply to a run in state \(state.map { "\($0)" } ?? "unknown (not planned)")" }
    }

    /// The planned keys in play order.
    public let planned: [EvalKey]
    public private(set) var states: [EvalKey: RunState]

    /// `alreadyFinished`: keys with a finished row in the database (those not planned are ignored).
    public init(planned: [EvalKey], alreadyFinished: Set<EvalKey> = []) {
        self.planned = planned
        var states: [EvalKey: RunState] = [:]
        for key in planned { states[key] = alreadyFinished.contains(key) ? .skipped : .pending }
        self.states = states
    }

    /// Applies one event, or throws and changes nothing.
    public mutating func apply(_ event: Event) throws(TransitionError) {
        switch event {
        case .started(let key):
            guard states[key] == .pending else { throw TransitionError(event: event, state: states[key]) }
            states[key] = .running
        case .finished(let key, let seconds):
            guard states[key] == .running else { throw TransitionError(event: event, state: states[key]) }
            states[key] = .finished(seconds: max(0, seconds))
        case .failed(let key, let error):
            guard states[key] == .running else { throw TransitionError(event: event, state: states[key]) }
            states[key] = .failed(error: error)
        }
    }

    /// The keys still to play, in plan order.
    public var pendingKeys: [EvalKey] { planned.filter { states[$0] == .pending } }

    public var total: Int { planned.count }
    public var skipped: Int { count { $0 == .skipped } }
    public var pending: Int { count { $0 == .pending } }
    public var running: Int { count { $0 == .running } }
    public var failed: Int { count { if case .failed = $0 { true } else { false } } }
    /// Finished runs, those of earlier `eval run`s included.
    public var done: Int { skipped + finishedSeconds.count }
    /// True when nothing is pending or running.
    public var isComplete: Bool { pending == 0 && running == 0 }

    /// Durations of the runs finished in this invocation.
    public var finishedSeconds: [Double] {
        planned.compactMap { if case .finished(let seconds)? = states[$0] { seconds } else { nil } }
    }

    /// Seconds left: the mean finished run's time × the runs left (pending and running) ÷ the
    /// concurrency; nil before any run finished, 0 when nothing is left.
    public func etaSeconds(concurrency: Int) -> Double? {
        let left = pending + running
        if left == 0 { return 0 }
        let durations = finishedSeconds
        guard !durations.isEmpty else { return nil }
        let mean = durations.reduce(0, +) / Double(durations.count)
        return mean * Double(left) / Double(max(1, min(concurrency, left)))
    }

    /// `done D / total T · running R · failed F · ETA 3m20s`.
    public func statusLine(concurrency: Int) -> String {
        let eta = etaSeconds(concurrency: concurrency).map(Self.duration) ?? "?"
        return "done \(done) / total \(total) · running \(running) · failed \(failed) · ETA \(eta)"
    }

    /// `45s`, `3m20s`, `1h02m`.
    public static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", (whole % 3600) / 60))m"
    }

    private func count(_ predicate: (RunState) -> Bool) -> Int {
        states.values.filter(predicate).count
    }
}
