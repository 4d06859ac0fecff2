import Env
import Foundation
import ReActAgent
import Wire

/// Execution validation: the candidate is prepared and loaded alone into a private in-process server
/// (a staging area no other client sees), and the ReAct agent's LLM-free baseline plays it. Passes when
/// the pipeline runs end to end, the agent's submission beats the random sample submission by the
/// metric-aware margin (the agent's verdict), and it also beats the weak reference (a constant or
/// majority prediction) by that margin, so the metric separates a weak method from a strong one. On
/// success the agent's score is written into task.json as the baseline reference.
public struct ExecutionValidator: Sendable {
    public let python: PythonModule
    public let venv: URL
    public let resources: AgentResources
    public let limits: EpisodeLimits
    /// Where the agent's trajectories go (nil: not stored).
    public let trajectories: String?
    /// Write the agent's score into task.json as the baseline reference (off for `tasks verify`).
    public let updatesManifest: Bool
    /// Who plays: the LLM-free baseline, or a model (`--validator llm`).
    public let policy: AgentSettings.PolicyChoice

    public init(python: PythonModule, venv: URL, resources: AgentResources, limits: EpisodeLimits = EpisodeLimits(maxSteps: 10,
                timeLimitSeconds: 900, execTimeoutSeconds: 300), trajectories: String? = nil, updatesManifest: Bool = true,
                policy: AgentSettings.PolicyChoice = .baseline) {
        self.policy = policy
        self.python = python
        self.venv = venv
        self.resources = resources
        self.limits = limits
        self.trajectories = trajectories
        self.updatesManifest = updatesManifest
    }

    public func run(_ folder: URL) async -> StageResult {
        let stage = GenerationStage.executionValidation
        let id = folder.lastPathComponent
        do {
            let prepared = try await python.run("prepare", [folder.path], writable: [folder], timeoutSeconds: 1800)
            guard prepared.status == 0 else {
                return .failed(stage, "prepare", "prepare failed: \(prepared.stdout.suffix(400))\(prepared.stderrTail)")
            }
        } catch {
            return .failed(stage, "prepare", "cannot run prepare: \(error)")
        }
        let staging = FileManager.default.temporaryDirectory.appending(path: "mledojo-stage-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: staging) }
        let report: RunReport
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: staging.appending(path: id), withDestinationURL: folder)
            report = try await play(id, staging: staging)
        } catch {
            return .failed(stage, "server", "the staging server or the agent could not start: \(error)")
        }
        return judge(report, folder: folder)
    }

    private func play(_ id: String, staging: URL) async throws -> RunReport {
        let server = try await LocalServer.start(tasks: staging, venv: venv, runtime: python.runtime, spareSessions: 0)  // one episode
        let env: EnvClient
        do { env = try EnvClient(endpoint: server.endpoint) } catch {
            await server.stop()
            throw error
        }
        let store = try trajectories.map { try TrajectoryStore(path: $0) }
        let settings = AgentSettings(task: id, policy: policy, limits: limits, serverDescription: "staging \(server.endpoint)")
        let report: RunReport
        do {
            report = await (try ValidationAgent(env: env, settings: settings, store: store, resources: resources)).run()
        } catch {
            env.close()
            await server.stop()
            throw error
        }
        env.close()
        await server.stop()
        return report
    }

    /// The verdict, the weak-versus-strong separation, and the new baseline reference.
    func judge(_ report: RunReport, folder: URL) -> StageResult {
        let stage = GenerationStage.executionValidation
        let detail: JSONValue = ["run": report.json]
        guard report.verdict.status == .solvable else {
            let why = report.verdict.reasons.joined(separator: "; ")
            return .failed(stage, "verdict", "the baseline agent's verdict is \(report.verdict.status.rawValue): \(why)", detail: detail)
        }
        guard let best = report.final?["full_score"]?.numberValue, best.isFinite else {
            return .failed(stage, "final_score", "the agent's best submission has no score on all test rows", detail: detail)
        }
        let manifestFile = folder.appending(path: "task.json")
        guard var manifest = try? JSONValue.decode(Data(contentsOf: manifestFile)), case .object(var fields) = manifest,
              case .object(var references)? = fields["reference_scores"] else {
            return .failed(stage, "task_json", "task.json has no reference_scores to complete", detail: detail)
        }
        let higher = report.higherIsBetter
        if let weak = references["weak"]?.numberValue {
            let margin = SensitivityMargin.forMetric(report.metric, random: weak, bestKnown: nil).margin
            let gap = higher ? best - weak : weak - best
            guard gap >= margin else {
                return .failed(stage, "weak_vs_strong", "the baseline (\(best)) does not beat the weak reference (\(weak)) "
                    + "by the margin \(margin): the metric does not separate a weak method from a strong one", detail: detail)
            }
        }
        guard updatesManifest else { return StageResult(.passed, detail: ["run": report.json, "baseline": .number(best)]) }
        references["baseline"] = .number(best)
        if let known = references["best_known"]?.numberValue, higher ? known < best : known > best {
            references["best_known"] = .number(best)
        } else if references["best_known"] == nil {
            references["best_known"] = .number(best)
        }
        let how = references["how"]?.stringValue.map { $0 + "; " } ?? ""
        references["how"] = .string(how + "baseline: the mledojo baseline agent in execution validation (\(report.stepsUsed) steps, all test rows)")
        fields["reference_scores"] = .object(references)
        manifest = .object(fields)
        do {
            try Self.write(manifest, to: manifestFile)
        } catch {
            return .failed(stage, "task_json", "cannot write task.json: \(error)", detail: detail)
        }
        return StageResult(.passed, detail: ["run": report.json, "baseline": .number(best)])
    }

    static func write(_ value: JSONValue, to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        let temporary = file.deletingLastPathComponent().appending(path: ".task.json.tmp")
        try data.write(to: temporary)
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }
}
