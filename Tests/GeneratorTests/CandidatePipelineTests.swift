import Testing

@testable import Generator

/// The candidate state machine alone: order, routing of failures, budgets, and the stored transitions.
@Suite("CandidatePipeline")
struct CandidatePipelineTests {
    private func defect(_ stage: GenerationStage, _ check: String = "x") -> Defect {
        Defect(stage: stage, check: check, message: "\(check) failed")
    }

    @Test func aCleanCandidatePassesEveryStageInOrder() {
        var pipeline = CandidatePipeline()
        var seen: [GenerationStage] = []
        while let stage = pipeline.stage {
            seen.append(stage)
            pipeline.record(stage == .refactor ? .skipped("uniform already") : .passed)
        }
        #expect(seen == GenerationStage.allCases)
        #expect(pipeline.phase == .verified && pipeline.transitions.count == GenerationStage.allCases.count)
        #expect(pipeline.allDefects.isEmpty)
    }

    @Test func aFailedPreAssertionGoesBackToDesignWithItsDefects() {
        var pipeline = CandidatePipeline(startingAt: .design)
        pipeline.record(.passed)
        let found = [defect(.assertionsPre, "no_answer_leak")]
        let transition = pipeline.record(.failed(found))
        #expect(transition?.to == .running(.design, attempt: 2))
        #expect(pipeline.openDefects == found)
        pipeline.record(.passed)
        #expect(pipeline.phase == .running(.assertionsPre, attempt: 2))
        pipeline.record(.passed)
        #expect(pipeline.openDefects.isEmpty && pipeline.allDefects == found)
    }

    @Test(arguments: [GenerationStage.assertionsPost, .review, .executionValidation])
    func laterFailuresGoBackToRefactor(_ failing: GenerationStage) {
        var pipeline = CandidatePipeline(startingAt: .design)
        while pipeline.stage != failing { pipeline.record(.passed) }
        pipeline.record(.failed([defect(failing)]))
        #expect(pipeline.phase == .running(.refactor, attempt: 2))
    }

    @Test func theDesignBudgetRejectsAfterThreeAttempts() {
        var pipeline = CandidatePipeline(budget: .init(designAttempts: 3), startingAt: .design)
        for attempt in 1...3 {
            #expect(pipeline.phase == .running(.design, attempt: attempt))
            pipeline.record(.passed)
            pipeline.record(.failed([defect(.assertionsPre)]))
        }
        #expect(pipeline.phase == .rejected && pipeline.allDefects.count == 3)
        #expect(pipeline.record(.passed) == nil, "a finished candidate records nothing")
    }

    @Test func aRefactorBudgetOfOneRejectsAtTheFirstLateFailure() {
        var pipeline = CandidatePipeline(budget: .init(designAttempts: 1, refactorAttempts: 1), startingAt: .design)
        while pipeline.stage != .executionValidation { pipeline.record(.passed) }
        pipeline.record(.failed([defect(.executionValidation, "verdict")]))
        #expect(pipeline.phase == .rejected)
        #expect(pipeline.transitions.last?.from == .executionValidation)
    }

    @Test func brainstormAndPublishFailuresReject() {
        var brainstorm = CandidatePipeline()
        brainstorm.record(.failed([defect(.brainstorm)]))
        #expect(brainstorm.phase == .rejected)
        var publish = CandidatePipeline(startingAt: .design)
        while publish.stage != .publish { publish.record(.passed) }
        publish.record(.failed([defect(.publish, "register")]))
        #expect(publish.phase == .rejected)
    }

    @Test func budgetsAreAtLeastOne() {
        #expect(CandidatePipeline.Budget(designAttempts: 0, refactorAttempts: -2) == .init(designAttempts: 1, refactorAttempts: 1))
    }
}
