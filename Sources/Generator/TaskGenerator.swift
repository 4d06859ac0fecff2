import Foundation
import Wire

/// Turns datasets into verified tasks: an author (the built-in designer or the LLM agents) proposes
/// candidates, then each goes through `CandidatePipeline` — design, assertions, refactor, assertions,
/// review probes (and the author's own review), execution validation, publish — with every transition
/// stored, and each failure sent back to Design or Refactor within the author's budgets.
public struct TaskGenerator: Sendable {
    public let author: any CandidateAuthor
    public let assertions: NamedChecks
    public let review: NamedChecks
    public let validator: ExecutionValidator
    public let publisher: Publisher?
    public let store: GenerationStore
    public let runID: String
    /// Where candidates are written before they are verified.
    public let workFolder: URL
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(author: any CandidateAuthor, assertions: NamedChecks, review: NamedChecks, validator: ExecutionValidator,
                publisher: Publisher?, store: GenerationStore, runID: String, workFolder: URL) {
        self.author = author
        self.assertions = assertions
        self.review = review
        self.validator = validator
        self.publisher = publisher
        self.store = store
        self.runID = runID
        self.workFolder = workFolder
    }

    /// A run id: `gen_<UTC time>_<6 hex>`.
    public static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "gen_\(formatter.string(from: Date()))_\(UUID().uuidString.prefix(6).lowercased())"
    }

    /// Generates from one dataset (a CSV file or a folder holding one).
    public func generate(dataset: URL) async -> DatasetReport {
        let name = dataset.hasDirectoryPath || dataset.pathExtension.isEmpty ? dataset.lastPathComponent : dataset.deletingPathExtension().lastPathComponent
        let started = ContinuousClock.now
        progress("\(name): brainstorming")
        let brainstorm = await author.brainstorm(dataset, name: name, into: workFolder.appending(path: name))
        guard brainstorm.failure == nil, !brainstorm.candidates.isEmpty else {
            let failure = brainstorm.failure ?? "no candidate"
            progress("\(name): no candidate (\(failure))")
            return DatasetReport(dataset: name, candidates: [], skipped: brainstorm.skipped, failure: failure,
                                 designSeconds: brainstorm.seconds, seconds: started.secondsSince, brainstorm: brainstorm.agent)
        }
        progress("\(name): \(brainstorm.candidates.count) candidate(s) in \(String(format: "%.1f", brainstorm.seconds)) s")
        var candidates: [CandidateReport] = []
        for candidate in brainstorm.candidates {
            candidates.append(await verify(candidate, dataset: name, brainstormSeconds: brainstorm.seconds / Double(brainstorm.candidates.count)))
        }
        return DatasetReport(dataset: name, candidates: candidates, skipped: brainstorm.skipped, failure: nil,
                             designSeconds: brainstorm.seconds, seconds: started.secondsSince, brainstorm: brainstorm.agent)
    }

    /// Runs one candidate through the pipeline.
    func verify(_ candidate: Candidate, dataset: String, brainstormSeconds: Double) async -> CandidateReport {
        let started = ContinuousClock.now
        var pipeline = CandidatePipeline(budget: author.budget, startingAt: .brainstorm)
        var report = CandidateReport(id: candidate.id, dataset: dataset, objective: candidate.objective, metric: candidate.metric,
                                     verified: false, stages: [], defects: [], seconds: 0)
        try? await store.beginCandidate(run: runID, id: candidate.id, dataset: dataset, objective: candidate.objective,
                                        metric: candidate.metric)
        var seq = 0
        var refactorSkipped = false
        while let stage = pipeline.stage {
            let stageStarted = ContinuousClock.now
            let attempt = pipeline.attemptsUsed(stage)
            let result: StageResult
            switch stage {
            case .brainstorm: result = StageResult(.passed, detail: candidate.summary)
            case .design: result = await author.design(candidate, attempt: attempt, defects: pipeline.openDefects)
            case .refactor: result = await author.refactor(candidate, attempt: attempt, defects: pipeline.openDefects)
            case .assertionsPost where refactorSkipped:
                result = StageResult(.skipped("no refactor ran: the package is the one assertions_pre passed"))
            default: result = await check(stage, candidate, attempt: attempt)
            }
            if stage == .refactor, case .skipped = result.outcome { refactorSkipped = true }
            if stage == .refactor, case .passed = result.outcome { refactorSkipped = false }
            let seconds = stage == .brainstorm ? brainstormSeconds : stageStarted.secondsSince
            guard let transition = pipeline.record(result.outcome) else { break }
            seq += 1
            try? await store.recordTransition(run: runID, candidate: candidate.id, seq: seq, transition: transition,
                                              detail: result.detail, seconds: seconds)
            report.stages.append(.init(stage: stage, attempt: attempt, outcome: result.outcome.name, seconds: seconds))
            if let agent = result.detail["agent"], agent["role"] != nil { report.agents.append(agent) }
            if stage == .executionValidation, case .passed = result.outcome {
                report.baseline = result.detail["baseline"]?.numberValue
                report.random = result.detail["run"]?["random"]?["score"]?.numberValue
            }
            if stage == .publish, case .passed = result.outcome { report.publishedAt = result.detail["path"]?.stringValue }
            progress("\(candidate.id): \(stage.rawValue)\(attempt > 1 ? " #\(attempt)" : "") \(result.outcome.name)\(Self.firstDefect(result.outcome))")
        }
        report.verified = pipeline.phase == .verified
        report.defects = pipeline.allDefects
        report.seconds = started.secondsSince + brainstormSeconds
        try? await store.finishCandidate(run: runID, id: candidate.id, verified: report.verified, seconds: report.seconds,
                                         defects: report.defects, report: report.json)
        return report
    }

    /// The stages the generator runs itself, the same for every author.
    private func check(_ stage: GenerationStage, _ candidate: Candidate, attempt: Int) async -> StageResult {
        switch stage {
        case .assertionsPre, .assertionsPost:
            return await assertions.run(candidate.folder, as: stage)
        case .review:
            let probes = await review.run(candidate.folder, as: .review)
            guard case .passed = probes.outcome, let judged = await author.judge(candidate, attempt: attempt) else { return probes }
            return StageResult(judged.outcome, detail: ["probes": probes.detail, "agent": judged.detail["agent"] ?? .null,
                                                        "judgement": judged.detail["judgement"] ?? .null])
        case .executionValidation:
            return await validator.run(candidate.folder)
        case .publish:
            guard let publisher else { return StageResult(.skipped("no --out folder: verified in place at \(candidate.folder.path)")) }
            return await publisher.run(candidate.folder)
        case .brainstorm, .design, .refactor:
            return StageResult(.failed([Defect(stage: stage, check: "internal", message: "\(stage.rawValue) is the author's")]))
        }
    }

    private static func firstDefect(_ outcome: CandidatePipeline.Outcome) -> String {
        guard case .failed(let defects) = outcome, let first = defects.first else { return "" }
        return ": \(first.check) — \(first.message.prefix(160))\(defects.count > 1 ? " (+\(defects.count - 1) more)" : "")"
    }
}

extension ContinuousClock.Instant {
    /// Seconds from this instant to now.
    var secondsSince: Double {
        let elapsed = ContinuousClock.now - self
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
