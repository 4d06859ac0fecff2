import Foundation

extension EnvService {
    /// `reset {task, budget?, score_split?, reward_mode?, invalid_penalty?, kernel?}`: opens a session with its own
    /// workspace and starts its warm worker in the background.
    func reset(_ request: Request) async throws -> EncodedReply {
        let task = try task(try request.string("task"))
        guard task.isReady else {
            throw EnvError(.noSuchTask, "task '\(task.id)' has no prepared data (run make setup or mledojo tasks prepare)")
        }
        let budget = try Budget.parse(request.params["budget"], defaults: configuration.defaultBudget)
        let limits = try configuration.runLimits.overridden(by: request.params["budget"])
        let split = try enumParameter(request, "score_split", default: ScoreSplit.public)
        let rewardMode = try enumParameter(request, "reward_mode", default: RewardMode.position)
        if rewardMode == .medal, ScoreCalculator(task: task).medalLadder == nil {
            throw EnvError(.badRequest, "reward_mode 'medal' needs a leaderboard or reference scores (best_known and baseline or random); task '\(task.id)' has neither")
        }
        let invalidPenalty = try InvalidPenalty.parse(request.params["invalid_penalty"])
        let kernel = try request.optionalString("kernel") ?? "fresh"
        guard kernel == "fresh" || kernel == "persistent" else {
            throw EnvError(.badRequest, "parameter 'kernel' must be 'fresh' (a clean interpreter per run) or 'persistent'")
        }

        // A spare session of the task, made ahead with the default limits, has its worker warm already.
        let spare = limits == configuration.runLimits ? await spares.take(task.id) : nil
        let sessionID = spare?.sessionID ?? UUID().uuidString.lowercased()
        let folders = spare?.folders ?? sessionFolders(sessionID, task: task)
        var uid = spare?.uid
        if spare == nil {
            uid = sandbox.setpriv == nil ? nil : await store.nextSandboxUID()
            try createFolders(folders, owner: uid)
        }
        var state = SessionState(sessionID: sessionID, taskID: task.id, budget: budget, scoreSplit: split,
                                 rewardMode: rewardMode, createdAt: Date(), limits: limits, sandboxUID: uid,
                                 persistentKernel: kernel == "persistent", invalidPenalty: invalidPenalty)
        let sequence = try state.begin(.reset, at: Date())
        if spare == nil { await workers.prewarm(sessionID, folders: folders, uid: uid, limits: limits) }
        let dataPath = sandbox.agentDataPath(folders.publicData)
        let workspacePath = sandbox.agentWorkspacePath(folders.workspace)
        let feedback = """
            Session started on task '\(task.id)': \(task.title).
            \(task.objective.isEmpty ? "" : task.objective + "\n")Metric: \(task.metricName) (\(task.higherIsBetter ? "higher" : "lower") is better). \
            Budget: \(budget.maxSteps) steps, \(Int(budget.timeLimitSeconds)) s, \(Int(budget.execTimeoutSeconds)) s per run.
            Read the task with request_info("overview"); data is at \(dataPath), write submission.csv in \(workspacePath).
            """
        let outcome = StepOutcome(success: true, feedback: feedback, result: [:])
        let observation = Observation.build(action: .reset, state: state, outcome: outcome, reward: 0, now: Date())
        let result: JSONValue = ["session": .string(sessionID), "task": .string(task.id), "observation": observation]
        let step = StepRecord(sequence: sequence, action: .reset, request: request.stored,
                              reply: .success(id: request.id, result: result), at: Date(), durationSeconds: 0)
        await sessions.add(state, workspace: folders.workspace)
        try await store.createSession(state, workspace: folders.workspace, reset: step)
        _Concurrency.Task { await self.makeSpares(of: task) }
        return step.reply
    }

    /// Retires the spare sessions of `task` (their sandboxes see the files it had when they were made).
    func dropSpares(of task: String) async {
        while let spare = await spares.take(task) {
            await workers.retire(spare.sessionID)
            try? FileManager.default.removeItem(at: spare.folders.workspace.deletingLastPathComponent())
        }
    }

    /// Makes the spare sessions `task` lacks: folders, uid and a worker starting, as a reset would.
    func makeSpares(of task: CompetitionTask) async {
        for _ in 0..<(await spares.reserve(task.id)) {
            let sessionID = UUID().uuidString.lowercased()
            let folders = sessionFolders(sessionID, task: task)
            let uid = sandbox.setpriv == nil ? nil : await store.nextSandboxUID()
            do { try createFolders(folders, owner: uid) } catch {
                await spares.failed(task: task.id)
                continue
            }
            await workers.prewarm(sessionID, folders: folders, uid: uid, limits: configuration.runLimits)
            await spares.started(.init(sessionID: sessionID, folders: folders, uid: uid), task: task.id)
        }
    }

    /// Creates a session's folders; the sandbox's uid owns what agent code writes to.
    private func createFolders(_ folders: SessionFolders, owner uid: UInt32?) throws {
        for folder in [folders.workspace, folders.steps, folders.logs] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        if let uid {
            for folder in [folders.workspace, folders.logs] where chown(folder.path, uid, uid) != 0 {
                throw EnvError(.internal, "cannot hand \(folder.path) to the sandbox's uid \(uid): errno \(errno)")
            }
        }
    }

    func enumParameter<Value: RawRepresentable & CaseIterable>(_ request: Request, _ name: String, default value: Value) throws -> Value
    where Value.RawValue == String {
        guard let text = try request.optionalString(name) else { return value }
        guard let parsed = Value(rawValue: text) else {
            let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw EnvError(.badRequest, "parameter '\(name)' must be one of \(known); got '\(text)'")
        }
        return parsed
    }
}

extension Request {
    /// The request as stored with its step.
    var stored: JSONValue {
        ["v": 1, "id": .string(id), "action": .string(action.rawValue), "session": .string(session), "params": .object(params)]
    }
}
