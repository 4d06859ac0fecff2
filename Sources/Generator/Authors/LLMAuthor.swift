import Env
import Foundation
import ReActAgent
import Wire

/// The LLM path of MLE-Smith: a Brainstormer proposes candidates from a dataset, a Designer writes each
/// package, a Refactor rewrites it into the uniform format, and a Reviewer judges it — each a `ToolAgent`
/// whose shell and scripts run in the sandbox, in the candidate's own folder. Every turn and run is stored.
/// What the agents hand in is checked here before it counts (`LLMAuthor+Acceptance`); the packages they
/// write are stamped `generated.designer = "llm"`, so their code is sandboxed wherever it later runs.
public struct LLMAuthor: CandidateAuthor {
    public let agent: ToolAgent
    public let prompts: AgentPrompts
    public let shell: SandboxedCommand
    public let venv: URL
    public let runtime: URL
    public let store: GenerationStore
    public let runID: String
    public let maxCandidates: Int
    public let budget: CandidatePipeline.Budget
    /// Run the Reviewer after the deterministic probes pass.
    public let reviews: Bool

    public init(agent: ToolAgent, prompts: AgentPrompts, shell: SandboxedCommand, venv: URL, runtime: URL, store: GenerationStore,
                runID: String, maxCandidates: Int = 3, budget: CandidatePipeline.Budget = .init(), reviews: Bool = true) {
        self.agent = agent
        self.prompts = prompts
        self.shell = shell
        self.venv = venv
        self.runtime = runtime
        self.store = store
        self.runID = runID
        self.maxCandidates = max(1, min(maxCandidates, 3))
        self.budget = budget
        self.reviews = reviews
    }

    public func brainstorm(_ dataset: URL, name: String, into folder: URL) async -> Brainstorm {
        let work = folder.appending(path: "brainstorm")
        do { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) } catch {
            return Brainstorm(candidates: [], failure: "cannot create \(work.path): \(error.localizedDescription)", seconds: 0)
        }
        let workspace = AgentWorkspace(root: work, readable: [dataset], shell: shell, venv: venv, runtime: runtime)
        let run = await invoke(.brainstormer, scope: name, attempt: 1, workspace: workspace, values: [
            "dataset": name, "dataset_path": dataset.path, "work_path": work.path, "max_candidates": String(maxCandidates),
        ]) { arguments in Self.acceptProposals(arguments, in: work, limit: maxCandidates, dataset: name) }
        guard run.end == .finished, let proposals = run.result["candidates"]?.arrayValue else {
            return Brainstorm(candidates: [], failure: run.failure ?? "the brainstormer proposed nothing", seconds: run.seconds, agent: run.json)
        }
        var candidates: [Candidate] = []
        for proposal in proposals {
            let id = Self.candidateID(proposal["id"]?.stringValue ?? "task", dataset: name)
            let candidateFolder = folder.appending(path: id)
            do {
                try Self.copyRawData(dataset, into: candidateFolder.appending(path: "raw"))
            } catch {
                return Brainstorm(candidates: candidates, failure: "cannot copy the dataset for \(id): \(error.localizedDescription)",
                                  seconds: run.seconds, agent: run.json)
            }
            candidates.append(Candidate(id: id, folder: candidateFolder, objective: proposal["objective"]?.stringValue,
                                        metric: proposal["metric"]?.stringValue, summary: proposal))
        }
        return Brainstorm(candidates: candidates, seconds: run.seconds, agent: run.json)
    }

    public func design(_ candidate: Candidate, attempt: Int, defects: [Defect]) async -> StageResult {
        await write(.designer, candidate, attempt: attempt, defects: defects, maxAttempts: budget.designAttempts)
    }

    public func refactor(_ candidate: Candidate, attempt: Int, defects: [Defect]) async -> StageResult {
        await write(.refactor, candidate, attempt: attempt, defects: defects, maxAttempts: budget.refactorAttempts)
    }

    public func judge(_ candidate: Candidate, attempt: Int) async -> StageResult? {
        guard reviews else { return nil }
        let workspace = AgentWorkspace(root: candidate.folder, readable: [], shell: shell, venv: venv, runtime: runtime, writable: false)
        let run = await invoke(.reviewer, scope: candidate.id, attempt: attempt, workspace: workspace,
                               values: ["candidate_id": candidate.id, "work_path": candidate.folder.path]) { arguments in
            Self.acceptVerdict(arguments, in: candidate.folder)
        }
        guard run.end == .finished else {
            // A provider failure is not a bad task: say so in the defect's name.
            return .failed(.review, "reviewer_\(run.end.name)", run.failure ?? "", detail: ["agent": run.json])
        }
        let defects = Self.reviewDefects(run.result)
        let detail: JSONValue = ["agent": run.json, "judgement": run.result]
        return defects.isEmpty ? StageResult(.passed, detail: detail) : StageResult(.failed(defects), detail: detail)
    }

    /// Runs the Designer or the Refactor on the candidate's folder, then stamps its task.json.
    private func write(_ role: AgentRole, _ candidate: Candidate, attempt: Int, defects: [Defect], maxAttempts: Int) async -> StageResult {
        let stage: GenerationStage = role == .designer ? .design : .refactor
        let workspace = AgentWorkspace(root: candidate.folder, readable: [], shell: shell, venv: venv, runtime: runtime)
        let values = [
            "candidate_id": candidate.id, "work_path": candidate.folder.path, "proposal": candidate.summary.encodedString(),
            "attempt": String(attempt), "max_attempts": String(maxAttempts), "defects": Self.defectList(defects),
        ]
        let stamp = generatedStamp
        let run = await invoke(role, scope: candidate.id, attempt: attempt, workspace: workspace, values: values) { arguments in
            Self.acceptPackage(arguments, in: candidate.folder, id: candidate.id, stamp: stamp)
        }
        guard run.end == .finished else {
            return .failed(stage, "\(role.rawValue)_\(run.end.name)", run.failure ?? "", detail: ["agent": run.json])
        }
        let unfinished = await completeManifest(candidate, stage: stage)
        return StageResult(.passed, detail: ["agent": run.json, "summary": run.result["summary"] ?? .null,
                                             "not_completed": .array(unfinished.map(\.json))])
    }

    /// What marks a package as written by an LLM (task.json's `generated`).
    var generatedStamp: JSONValue {
        ["designer": "llm", "run_id": .string(runID), "model": .string(agent.model.endpoint.model)]
    }

    /// Runs one agent with its prompts, storing the invocation and each turn.
    private func invoke(_ role: AgentRole, scope: String, attempt: Int, workspace: AgentWorkspace, values: [String: String],
                        accept: @escaping @Sendable (JSONValue) async -> Result<JSONValue, ToolArgumentError>) async -> AgentRun {
        var filled = values
        filled["max_steps"] = String(agent.settings.maxSteps)
        let (system, task) = prompts.render(role, filled)
        let store = store, runID = runID
        try? await store.beginAgentRun(run: runID, scope: scope, role: role, attempt: attempt)
        let run = await agent.run(role, attempt: attempt, system: system, task: task, workspace: workspace, accept: accept) { turn in
            try? await store.recordAgentTurn(run: runID, scope: scope, role: role, attempt: attempt, turn: turn)
        }
        try? await store.finishAgentRun(run: runID, scope: scope, agent: run)
        return run
    }

    /// The defects a retry is asked to mend, as the prompt shows them.
    static func defectList(_ defects: [Defect]) -> String {
        guard !defects.isEmpty else { return "" }
        return "The previous attempt failed these checks; mend every one:\n"
            + defects.map { "- [\($0.stage.rawValue)] \($0.check): \($0.message)" }.joined(separator: "\n") + "\n"
    }

    /// The candidate id of a proposal: its id, prefixed with the dataset's slug unless it starts with it.
    static func candidateID(_ proposal: String, dataset: String) -> String {
        let prefix = slug(dataset)
        return proposal.hasPrefix(prefix) ? proposal : "\(prefix)-\(proposal)"
    }

    /// A task-id-safe form of a dataset name.
    static func slug(_ name: String) -> String {
        let lowered = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(lowered).split(separator: "-").joined(separator: "-")
    }

    /// Copies the dataset (a file, or a folder's files) into `raw`, so the package is self-contained.
    static func copyRawData(_ dataset: URL, into raw: URL) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: raw, withIntermediateDirectories: true)
        var isFolder: ObjCBool = false
        _ = manager.fileExists(atPath: dataset.path, isDirectory: &isFolder)
        let files = isFolder.boolValue
            ? try manager.contentsOfDirectory(atPath: dataset.path).filter { !$0.hasPrefix(".") }.map { dataset.appending(path: $0) }
            : [dataset]
        for file in files {
            let target = raw.appending(path: file.lastPathComponent)
            if manager.fileExists(atPath: target.path) { continue }
            try manager.copyItem(at: file, to: target)
        }
    }
}
