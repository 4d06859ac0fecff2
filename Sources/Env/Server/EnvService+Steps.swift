import Foundation

/// What an action's body gets to work with.
struct StepContext: Sendable {
    let task: CompetitionTask
    let state: SessionState
    let workspace: URL
    let sequence: Int
    let runsDirectory: URL
    /// Where agent code sees the public data and the workspace.
    let dataPath: String
    let workspacePath: String

    /// runs/<session>/steps/<seq>: the step's code, logs and submission copy (built on use: most steps have none).
    var artifacts: URL { runsDirectory.appending(path: "\(state.sessionID)/steps/\(sequence)") }
}

extension EnvService {
    /// Runs one session action: begin on the state machine, the body, finish, observation, storage, reply.
    /// The step is stored before the reply is returned (the same bytes); a failure inside the body is stored too.
    func performStep(_ request: Request, closing: Bool = false,
                     _ body: @Sendable (StepContext) async throws -> StepOutcome) async throws -> EncodedReply {
        let sessionID = try request.requireSession()
        let started = Date()
        let begun = try await sessions.begin(sessionID, action: request.action, at: started)
        let task = try task(begun.state.taskID)
        let context = StepContext(
            task: task, state: begun.state, workspace: begun.workspace, sequence: begun.sequence,
            runsDirectory: configuration.runsDirectory, dataPath: sandbox.agentDataPath(task.publicDataDirectory),
            workspacePath: sandbox.agentWorkspacePath(begun.workspace))
        let outcome: StepOutcome
        do {
            outcome = try await body(context)
        } catch {
            let envError = error as? EnvError ?? EnvError(.internal, "\(error)")
            // At capacity (BUSY) the action did not happen: its step is given back.
            let (state, _) = try await sessions.finish(sessionID, score: nil, calculator: ScoreCalculator(task: task),
                                                   refund: envError.code == .busy)
            let reply = EncodedReply.failure(id: request.id, error: envError)
            try await store.recordStep(StepRecord(sequence: begun.sequence, action: request.action, request: request.stored,
                                                  reply: reply, at: started, durationSeconds: Date().timeIntervalSince(started)),
                                       state: state)
            throw StoredFailure(reply: reply)
        }
        let (state, reward) = try await sessions.finish(
            sessionID, score: outcome.score, rejected: outcome.rejected, calculator: ScoreCalculator(task: task), closing: closing)
        var observation = Observation.build(action: request.action, state: state, outcome: outcome, reward: reward, now: Date())
        if closing, case .object(var fields) = observation {
            fields[ObservationKey.final.rawValue] = finalGrade(state, task: task)
            observation = .object(fields)
        }
        let reply = EncodedReply.success(id: request.id, result: observation)
        try await store.recordStep(
            StepRecord(sequence: begun.sequence, action: request.action, request: request.stored, reply: reply,
                       at: started, durationSeconds: Date().timeIntervalSince(started), artifacts: outcome.artifacts),
            state: state)
        return reply
    }

    /// The final grade `close` reports: the best submission's scores, its private slice revealed.
    func finalGrade(_ state: SessionState, task: CompetitionTask) -> JSONValue {
        let calculator = ScoreCalculator(task: task)
        let best = state.best
        return [
            "score_split": .string(state.scoreSplit.rawValue),
            "best_raw_score": .number(best?.raw),
            "best_position_score": .number(best?.positionOrNormalized),
            "best_normalized_score": .number(best?.normalized),
            "public_score": .number(best?.publicSlice),
            "private_score": .number(best?.privateSlice),
            "full_score": .number(best?.full),
            "private_position_score": .number(best?.privateSlice.flatMap { calculator.position($0) ?? calculator.normalized($0) }),
            "best_medal": .string(best.flatMap { calculator.medal($0.raw) }?.rawValue),
            "total_reward": .number(state.totalReward),
            "steps_used": .number(Double(state.stepsUsed)),
        ]
    }
}
