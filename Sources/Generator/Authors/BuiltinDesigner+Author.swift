import Foundation
import Wire

/// The built-in designer as an author: it writes every candidate while brainstorming, in the uniform
/// format, and is deterministic — asking it again would write the same package, so each candidate gets
/// one Design attempt, and there is nothing for Refactor to do.
extension BuiltinDesigner: CandidateAuthor {
    public var budget: CandidatePipeline.Budget { .init(designAttempts: 1, refactorAttempts: 1) }

    public func brainstorm(_ dataset: URL, name: String, into folder: URL) async -> Brainstorm {
        do {
            let design = try await self.design(dataset, into: folder)
            return Brainstorm(candidates: design.drafts, skipped: design.skipped, seconds: design.seconds,
                              agent: ["by": "built-in designer: formulations from the column profile"])
        } catch {
            return Brainstorm(candidates: [], failure: error.message, seconds: 0)
        }
    }

    public func design(_ candidate: Candidate, attempt: Int, defects: [Defect]) async -> StageResult {
        StageResult(.passed, detail: candidate.summary)
    }

    public func refactor(_ candidate: Candidate, attempt: Int, defects: [Defect]) async -> StageResult {
        StageResult(.skipped("the built-in designer writes the uniform format: nothing to rewrite"))
    }

    public func judge(_ candidate: Candidate, attempt: Int) async -> StageResult? { nil }
}
