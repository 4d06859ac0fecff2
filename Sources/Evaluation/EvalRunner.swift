import Foundation
import ReActAgent
import Wire

/// Plays an evaluation's planned runs against one Env server, up to `concurrency` at once: each run is
/// one episode of the ReAct agent (`ValidationAgent`) with in-episode scores on every test row
/// (`score_split: full`). Its row is written `running` at the start, then `finished` (best score,
/// references, steps, tokens, cost, time, end reason, one `eval_steps` row per step) or `failed` when
/// the run itself broke: the server or the model endpoint failed, or the episode never started.
public actor EvalRunner {
    /// What every run shares.
    public struct Configuration: Sendable {
        public var runs: Int
        public var limits: EpisodeLimits
        public var concurrency: Int
        /// How the server was reached, for the agent's record.
        public var serverDescription: String
        public var prices: PriceTable?

        public init(runs: Int = 2, limits: EpisodeLimits = EpisodeLimits(maxSteps: 15), concurrency: Int = 1,
                    serverDescription: String, prices: PriceTable? = nil) {
            self.runs = runs
            self.limits = limits
            self.concurrency = concurrency
            self.serverDescription = serverDescription
            self.prices = prices
        }
    }

    let env: EnvClient
    let store: EvalStore
    let resources: AgentResources
    let configuration: Configuration
    let policies: [String: AgentSettings.PolicyChoice]
    let tasks: [String: TaskListing]
    public private(set) var progress: EvalProgress
    private let onEvent: @Sendable (EvalEvent, EvalProgress) -> Void

    /// Plans every spec on every task `runs` times, skipping the keys the store has finished. Throws
    /// when a spec's endpoint is unusable (its API key variable unset, say).
    public init(env: EnvClient, store: EvalStore, resources: AgentResources, specs: [ModelSpec], tasks: [TaskListing],
                configuration: Configuration, onEvent: @escaping @Sendable (EvalEvent, EvalProgress) -> Void = { _, _ in }) async throws {
        var policies: [String: AgentSettings.PolicyChoice] = [:]
        for spec in specs { policies[spec.name] = try spec.policy() }
        self.env = env
        self.store = store
        self.resources = resources
        self.configuration = configuration
        self.policies = policies
        self.tasks = Dictionary(tasks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.onEvent = onEvent
        let planned = EvalKey.plan(models: specs.map(\.name), tasks: tasks.map(\.id), runs: configuration.runs)
        progress = EvalProgress(planned: planned, alreadyFinished: try await store.finishedKeys())
    }

    /// Plays every pending run; returns the final progress.
    public func run() async -> EvalProgress {
        let queue = progress.pendingKeys
        let width = max(1, configuration.concurrency)
        await withTaskGroup(of: Void.self) { group in
            var next = queue.makeIterator()
            for _ in 0..<width {
                guard let key = next.next() else { break }
                group.addTask { await self.play(key) }
            }
            while await group.next() != nil {
                if let key = next.next() { group.addTask { await self.play(key) } }
            }
        }
        return progress
    }

    /// One run, start to end; never throws (a failure is recorded as `failed`).
    func play(_ key: EvalKey) async {
        let started = ContinuousClock.now
        record(.started(key))
        guard let listing = tasks[key.task], let policy = policies[key.model] else {
            await fail(key, "not planned: \(key.runKey)", started: started, endReason: nil)
            return
        }
        do {
            try await store.beginRun(key, task: listing)
        } catch {
            await fail(key, "results database: \(error)", started: started, endReason: nil)
            return
        }
        let settings = AgentSettings(task: key.task, policy: policy, limits: configuration.limits,
                                     serverDescription: configuration.serverDescription, prices: configuration.prices,
                                     scoreSplit: .full, measuresRandom: false)
        var agent: ValidationAgent
        do {
            agent = try ValidationAgent(env: env, settings: settings, store: nil, resources: resources)
        } catch {
            await fail(key, "agent: \(error)", started: started, endReason: nil)
            return
        }
        let store = self.store
        let stepProblems = StepProblems()
        agent.onTurn = { turn in
            guard let action = turn.action else { return }
            let graded = action.name == "execute_code" || action.name == "evaluate"
            do {
                try await store.recordStep(key, step: turn.turn, action: action.name, score: graded ? turn.score : nil)
            } catch {
                await stepProblems.add("\(error)")
            }
        }
        let report = await agent.run()
        if let problem = await stepProblems.first {
            await fail(key, "results database: \(problem)", started: started, endReason: report.endReason?.code)
            return
        }
        if let failure = Self.failure(of: report) {
            await fail(key, failure, started: started, endReason: report.endReason?.code)
            return
        }
        let outcome = Self.outcome(of: report)
        do {
            try await store.finishRun(key, outcome)
        } catch {
            await fail(key, "results database: \(error)", started: started, endReason: report.endReason?.code)
            return
        }
        record(.finished(key, outcome), seconds: outcome.seconds)
    }

    /// Why the run itself broke, or nil when it ended as an episode (a model that never submits is finished).
    static func failure(of report: RunReport) -> String? {
        guard let endReason = report.endReason else {
            return report.verdict.reasons.first ?? "the episode never started"
        }
        switch endReason {
        case .environmentFailed, .policyFailed: return endReason.description
        default: return nil
        }
    }

    /// The row of a finished run: the best submission's full-test score (`final.full_score`).
    static func outcome(of report: RunReport) -> EvalRunOutcome {
        let full = report.final?["full_score"]?.numberValue ?? (report.final == nil ? report.bestScore : nil)
        let cost: Double? = report.model == nil ? 0 : (report.pricedAs == nil ? nil : report.costUSD)
        return EvalRunOutcome(bestScore: full, randomScore: report.random.reference, bestKnown: report.random.bestKnown,
                              steps: report.stepsUsed, promptTokens: report.usage.promptTokens,
                              completionTokens: report.usage.completionTokens, costUSD: cost, seconds: report.seconds,
                              endReason: report.endReason?.code)
    }

    private func fail(_ key: EvalKey, _ error: String, started: ContinuousClock.Instant, endReason: String?) async {
        let seconds = Self.seconds(since: started)
        try? await store.failRun(key, error: error, seconds: seconds, endReason: endReason)
        record(.failed(key, error: error))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func record(_ event: EvalEvent, seconds: Double = 0) {
        let change: EvalProgress.Event
        switch event {
        case .started(let key): change = .started(key)
        case .finished(let key, _): change = .finished(key, seconds: seconds)
        case .failed(let key, let error): change = .failed(key, error: error)
        }
        try? progress.apply(change)
        onEvent(event, progress)
    }
}

/// Storage failures of a run's steps, collected from the turn callback.
actor StepProblems {
    private(set) var all: [String] = []
    func add(_ problem: String) { all.append(problem) }
    var first: String? { all.first }
}
