import Wire

extension EnvClient {
    /// Seconds to wait for actions that run no code.
    public static let quickTimeoutSeconds = 60.0
    /// Extra seconds beyond a run's own limit before a code action counts as lost.
    public static let runGraceSeconds = 60.0

    /// `health`.
    public func health(timeoutSeconds: Double = 10) async throws(EnvClientError) -> JSONValue {
        try await call(.health, timeoutSeconds: timeoutSeconds)
    }

    /// `list_tasks`: the tasks the server has.
    public func listTasks() async throws(EnvClientError) -> [TaskListing] {
        let result = try await call(.listTasks, timeoutSeconds: Self.quickTimeoutSeconds)
        guard let tasks = result["tasks"]?.arrayValue else { throw .malformedReply("list_tasks without 'tasks'") }
        return tasks.compactMap(TaskListing.init)
    }

    /// `reset`: a new session on `task` with the given budget; returns the session id and the first observation.
    public func reset(task: String, budget: Budget, scoreSplit: ScoreSplit? = nil) async throws(EnvClientError) -> (session: String, observation: ObservationView) {
        var params: [String: JSONValue] = ["task": .string(task), "budget": budget.json]
        if let scoreSplit { params["score_split"] = .string(scoreSplit.rawValue) }
        let result = try await call(.reset, params: params, timeoutSeconds: Self.quickTimeoutSeconds)
        guard let session = result["session"]?.stringValue, let observation = result["observation"] else {
            throw .malformedReply("reset without 'session' or 'observation'")
        }
        return (session, ObservationView(observation))
    }

    /// One step action (`request_info`, `validate_code`, `execute_code`, `evaluate`); code actions wait
    /// up to the run limit plus a grace period.
    public func step(session: String, action: Action, params: [String: JSONValue],
                     execTimeoutSeconds: Double) async throws(EnvClientError) -> ObservationView {
        let timeout = action.runsCode ? execTimeoutSeconds + Self.runGraceSeconds : Self.quickTimeoutSeconds
        return ObservationView(try await call(action, session: session, params: params, timeoutSeconds: timeout))
    }

    /// `close`: ends the session; the observation carries `final`.
    public func close(session: String) async throws(EnvClientError) -> ObservationView {
        ObservationView(try await call(.close, session: session, timeoutSeconds: Self.quickTimeoutSeconds))
    }

    /// `cancel`: stops a run in flight.
    @discardableResult
    public func cancel(session: String) async throws(EnvClientError) -> Bool {
        try await call(.cancel, session: session, timeoutSeconds: Self.quickTimeoutSeconds)["cancelled"]?.boolValue ?? false
    }
}
