import Foundation
import Wire

/// Runs the agent on a task as execution validation: measures the random reference in a probe
/// session, plays one budgeted episode with the chosen policy, judges the verdict, and stores the
/// run and every turn in the trajectory database.
public struct ValidationAgent: Sendable {
    public let env: EnvClient
    public let settings: AgentSettings
    public let store: TrajectoryStore?
    let prompts: PromptLibrary
    let scripts: SolutionScripts
    let prices: PriceTable
    let playing: Playing
    /// Called after every turn.
    public var progress: @Sendable (StepProgress) -> Void = { _ in }
    /// Called with every finished turn, after it is stored.
    public var onTurn: @Sendable (TurnRecord) async -> Void = { _ in }

    public init(env: EnvClient, settings: AgentSettings, store: TrajectoryStore?, resources: AgentResources) throws(AgentError) {
        try settings.limits.validate()
        switch settings.policy {
        case .baseline: playing = .baseline
        case .sample: playing = .sample
        case .llm(let endpoint):
            do { playing = .llm(try OpenAIChatClient(endpoint: endpoint)) } catch { throw .model(error) }
        }
        self.env = env
        self.settings = settings
        self.store = store
        do {
            prompts = try PromptLibrary(resources: resources)
            scripts = try SolutionScripts(resources: resources)
        } catch {
            throw .resources(error)
        }
        if let given = settings.prices {
            prices = given
        } else {
            do { prices = try PriceTable.bundled(resources) } catch { throw .prices(error) }
        }
    }

    /// One run. Never throws: every failure becomes a verdict with reasons (storage failures are
    /// reported in the reasons too).
    public func run() async -> RunReport {
        let runID = Self.newRunID()
        let started = ContinuousClock.now
        var report = RunReport(
            runID: runID, task: settings.task, policy: settings.policy.name, model: modelName, server: settings.serverDescription,
            metric: "unknown", higherIsBetter: true, stepsUsed: 0, maxSteps: settings.limits.maxSteps, turns: 0,
            random: RandomReference(), usage: .zero, costUSD: 0, pricedAs: modelName.flatMap { prices.entry(for: $0)?.name },
            seconds: 0, verdict: Verdict(status: .error, reasons: [], ranEndToEnd: false))
        var storageProblems: [String] = []
        do {
            try await store?.beginRun(id: runID, task: settings.task, policy: settings.policy.name, model: modelName,
                                      server: settings.serverDescription, maxSteps: settings.limits.maxSteps, settings: settings.json)
        } catch {
            storageProblems.append("\(error)")
        }

        let listing: TaskListing
        do {
            guard let found = try await env.listTasks().first(where: { $0.id == settings.task }) else {
                return await finishStored(report, setupFailure: "NO_SUCH_TASK: the server has no task '\(settings.task)'", started: started, storageProblems)
            }
            listing = found
        } catch {
            return await finishStored(report, setupFailure: "list_tasks failed: \(error)", started: started, storageProblems)
        }
        report.metric = listing.metric
        report.higherIsBetter = listing.higherIsBetter
        guard listing.ready else {
            return await finishStored(report, setupFailure: "the task's data is not prepared (ready: false); run `mledojo tasks prepare`",
                                      started: started, storageProblems)
        }

        report.random = await RandomReferenceProbe.measure(env: env, task: listing.id, scripts: scripts, gradesSample: settings.measuresRandom)
        var runner = EpisodeRunner(env: env, policy: makePolicy(), prompts: prompts, limits: settings.limits)
        runner.progress = progress
        runner.scoreSplit = settings.scoreSplit
        let store = self.store
        let problems = StorageProblems()
        let onTurn = self.onTurn
        runner.onTurn = { turn in
            do { try await store?.recordTurn(runID: runID, turn) } catch { await problems.add("\(error)") }
            await onTurn(turn)
        }
        let episode = await runner.run(task: listing)
        storageProblems += await problems.all

        report.session = episode.session
        report.endReason = episode.endReason
        report.stepsUsed = episode.stepsUsed
        report.turns = episode.turns.count
        report.bestScore = episode.bestScore
        report.normalizedScore = episode.normalizedScore
        report.final = episode.final
        report.usage = episode.usage
        report.costUSD = episode.costUSD
        report.verdict = VerdictJudge.judge(VerdictEvidence(
            setupFailure: episode.setupFailure, codeReachedServer: episode.codeReachedServer, gradedSubmissions: episode.gradedSubmissions,
            bestScore: episode.bestScore, higherIsBetter: listing.higherIsBetter, metric: listing.metric, random: report.random,
            endReason: episode.endReason))
        if let closeError = episode.closeError { report.verdict.reasons.append("close failed: \(closeError)") }
        return await finishStored(report, setupFailure: nil, started: started, storageProblems)
    }

    var modelName: String? {
        if case .llm(let endpoint) = settings.policy { return endpoint.model }
        return nil
    }

    /// The policy to build for each run (the model client is made once, when the settings are checked).
    enum Playing: Sendable {
        case baseline
        case llm(OpenAIChatClient)
        case sample
    }

    private func makePolicy() -> any AgentPolicy {
        switch playing {
        case .baseline: BaselinePolicy(scripts: scripts)
        case .sample: SampleSubmissionPolicy(scripts: scripts)
        case .llm(let client): LLMPolicy(client: client, prompts: prompts, prices: prices, maxRepairs: settings.limits.maxRepairs)
        }
    }

    private func finish(_ report: RunReport, setupFailure: String?, started: ContinuousClock.Instant, _ storageProblems: [String]) -> RunReport {
        var report = report
        if let setupFailure {
            report.verdict = VerdictJudge.judge(VerdictEvidence(
                setupFailure: setupFailure, codeReachedServer: false, gradedSubmissions: 0, bestScore: nil,
                higherIsBetter: report.higherIsBetter, metric: report.metric, random: report.random, endReason: nil))
        }
        report.verdict.reasons += storageProblems.map { "not stored: \($0)" }
        report.seconds = started.secondsElapsed
        return report
    }

    private func finishStored(_ report: RunReport, setupFailure: String?, started: ContinuousClock.Instant,
                              _ storageProblems: [String]) async -> RunReport {
        var problems = storageProblems
        var finished = finish(report, setupFailure: setupFailure, started: started, [])
        do { try await store?.finishRun(finished) } catch { problems.append("\(error)") }
        finished.verdict.reasons += problems.map { "not stored: \($0)" }
        return finished
    }

    static func newRunID() -> String {
        let stamp = Date().formatted(.iso8601.year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false).timeSeparator(.omitted))
        return "run_\(stamp)_\(UUID().uuidString.prefix(6).lowercased())"
    }
}
