import Foundation

extension EnvService {
    /// `get_history`: every stored step of a session, also for sessions from before a restart.
    func history(_ request: Request) async throws -> JSONValue {
        let sessionID = try request.requireSession()
        let (state, _) = try await sessions.snapshot(sessionID)
        return [
            "session": .string(sessionID), "task": .string(state.taskID),
            "status": state.isClosed ? "closed" : "open",
            "created_at": .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(state.createdAt)),
            "steps": .array(try await store.steps(of: sessionID)),
        ]
    }

    /// `close`: ends the session and reports the final grade (with the private slice). Idempotent.
    func close(_ request: Request) async throws -> EncodedReply {
        let sessionID = try request.requireSession()
        let (state, _) = try await sessions.snapshot(sessionID)
        if state.isClosed {
            let task = try task(state.taskID)
            let outcome = StepOutcome(success: true, feedback: "The session was already closed.", result: [:])
            var observation = Observation.build(action: .close, state: state, outcome: outcome, reward: 0, now: Date())
            if case .object(var fields) = observation {
                fields[ObservationKey.final.rawValue] = finalGrade(state, task: task)
                observation = .object(fields)
            }
            return .success(id: request.id, result: observation)
        }
        let reply = try await performStep(request, closing: true) { context in
            let best = context.state.best
            let summary = best.map { "best in-episode score \($0.raw)" + ($0.privateSlice.map { ", private score \($0)" } ?? "") }
            return StepOutcome(success: true, feedback: "Session closed: \(summary ?? "no valid submission").", result: [:])
        }
        await workers.retire(sessionID)
        return reply
    }

    /// `cancel`: stops the run in flight of the session, if any.
    func cancel(_ request: Request) async throws -> JSONValue {
        let cancelled = try await sessions.cancel(try request.requireSession())
        return ["cancelled": .bool(cancelled)]
    }
}
