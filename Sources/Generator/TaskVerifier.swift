import Foundation
import Wire

/// `mledojo tasks verify`: the whole verification of an existing task folder — assertions, review
/// probes, execution validation by the baseline agent — with a verdict per stage and every defect.
/// Nothing in the folder is changed except its prepared data.
public struct TaskVerifier: Sendable {
    public let assertions: NamedChecks
    public let review: NamedChecks
    public let validator: ExecutionValidator

    public init(assertions: NamedChecks, review: NamedChecks, validator: ExecutionValidator) {
        self.assertions = assertions
        self.review = review
        self.validator = validator
    }

    /// Each stage's result, in order; execution validation runs only when the deterministic stages pass.
    public func verify(_ folder: URL) async -> [(stage: GenerationStage, result: StageResult, seconds: Double)] {
        var results: [(GenerationStage, StageResult, Double)] = []
        for stage in [GenerationStage.assertionsPost, .review, .executionValidation] {
            if stage == .executionValidation, results.contains(where: { if case .failed = $0.1.outcome { true } else { false } }) {
                results.append((stage, StageResult(.skipped("not run: an earlier stage failed")), 0))
                continue
            }
            let started = ContinuousClock.now
            let result: StageResult = switch stage {
            case .assertionsPost: await assertions.run(folder, as: stage)
            case .review: await review.run(folder, as: stage)
            default: await validator.run(folder)
            }
            results.append((stage, result, started.secondsSince))
        }
        return results
    }
}
