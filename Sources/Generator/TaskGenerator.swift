import Foundation
import Wire

/// Turns datasets into verified tasks with the LLM-free path: the built-in designer proposes and writes
/// candidates, then each goes through `CandidatePipeline` — assertions, review probes, execution
/// validation by the baseline agent, publish — with every transition stored.
public struct TaskGenerator: Sendable {
    public let designer: BuiltinDesigner
    public let assertions: NamedChecks
    public let review: NamedChecks
    public let validator: ExecutionValidator
    public let publisher: Publisher?
    public let store: GenerationStore
    public let runID: String
    /// Where candidates are written before they are verified.
    public let workFolder: URL
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(designer: BuiltinDesigner, assertions: NamedChecks, review: NamedChecks, validator: ExecutionValidator,
                publisher: Publisher?, store: GenerationStore, runID: String, workFolder: URL) {
        self.designer = designer
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
        progress("\(name): designing")
        let design: BuiltinDesigner.Design
        do {
            design = try await designer.design(dataset, into: workFolder.appending(path: name))
        } catch {
            progress("\(name): no candidate (\(error))")
            return DatasetReport(dataset: name, candidates: [], skipped: .array([]), failure: error.message,
                                 designSeconds: 0, seconds: started.secondsSince)
        }
        progress("\(name): \(design.drafts.count) candidate(s) in \(String(format: "%.1f", design.seconds)) s")
        var candidates: [CandidateReport] = []
        for draft in design.drafts {
            candidates.append(await verify(draft, dataset: name, designSeconds: design.seconds / Double(design.drafts.count)))
        }
        return DatasetReport(dataset: name, candidates: candidates, skipped: design.skipped, failure: nil,
                             designSeconds: design.seconds, seconds: started.secondsSince)
    }

    /// Runs one drafted candidate through the pipeline.
    func verify(_ draft: BuiltinDesigner.Draft, dataset: String, designSeconds: Double) async -> CandidateReport {
        let started = ContinuousClock.now
        // The built-in designer is deterministic: asking it again would write the same package, so a
        // failure is final (budgets of one attempt), and it writes the uniform format (no Refactor).
        var pipeline = CandidatePipeline(budget: .init(designAttempts: 1, refactorAttempts: 1), startingAt: .brainstorm)
        var report = CandidateReport(id: draft.id, dataset: dataset, objective: draft.objective, metric: draft.metric, verified: false,
                                     stages: [], defects: [], seconds: 0)
        try? await store.beginCandidate(run: runID, id: draft.id, dataset: dataset, objective: draft.objective, metric: draft.metric)
        var seq = 0
        while let stage = pipeline.stage {
            let stageStarted = ContinuousClock.now
            let attempt = pipeline.attemptsUsed(stage)
            let result = await run(stage, on: draft, designSeconds: designSeconds)
            let seconds = stage == .design ? designSeconds : stageStarted.secondsSince
            guard let transition = pipeline.record(result.outcome) else { break }
            seq += 1
            try? await store.recordTransition(run: runID, candidate: draft.id, seq: seq, transition: transition,
                                              detail: result.detail, seconds: seconds)
            report.stages.append(.init(stage: stage, attempt: attempt, outcome: result.outcome.name, seconds: seconds))
            if stage == .executionValidation, case .passed = result.outcome {
                report.baseline = result.detail["baseline"]?.numberValue
                report.random = result.detail["run"]?["random"]?["score"]?.numberValue
            }
            if stage == .publish, case .passed = result.outcome { report.publishedAt = result.detail["path"]?.stringValue }
            progress("\(draft.id): \(stage.rawValue) \(result.outcome.name)\(Self.firstDefect(result.outcome))")
        }
        report.verified = pipeline.phase == .verified
        report.defects = pipeline.allDefects
        report.seconds = started.secondsSince + designSeconds
        try? await store.finishCandidate(run: runID, id: draft.id, verified: report.verified, seconds: report.seconds,
                                         defects: report.defects, report: report.json)
        return report
    }

    private func run(_ stage: GenerationStage, on draft: BuiltinDesigner.Draft, designSeconds: Double) async -> StageResult {
        switch stage {
        case .brainstorm:
            return StageResult(.passed, detail: ["by": "built-in designer: formulations from the column profile"])
        case .design:
            return StageResult(.passed, detail: draft.summary)
        case .assertionsPre:
            return await assertions.run(draft.folder, as: .assertionsPre)
        case .refactor:
            return StageResult(.skipped("the built-in designer writes the uniform format: nothing to rewrite"))
        case .assertionsPost:
            return StageResult(.skipped("no refactor ran: the package is the one assertions_pre passed"))
        case .review:
            return await review.run(draft.folder, as: .review)
        case .executionValidation:
            return await validator.run(draft.folder)
        case .publish:
            guard let publisher else { return StageResult(.skipped("no --out folder: verified in place at \(draft.folder.path)")) }
            return await publisher.run(draft.folder)
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
