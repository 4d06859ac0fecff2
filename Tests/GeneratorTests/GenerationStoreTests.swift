import EnvTesting
import Foundation
import Testing
import Wire

@testable import Generator

/// The records land in a real SQLite file and read back in order.
@Suite("GenerationStore")
struct GenerationStoreTests {
    @Test func transitionsAndCandidatesAreStoredInOrder() async throws {
        let folder = try TemporaryDirectory("gen-store")
        defer { folder.remove() }
        let store = try GenerationStore(path: folder.url.appending(path: "sub/generate.sqlite").path)
        try await store.beginRun(id: "r1", settings: ["datasets": ["a.csv"]])
        try await store.beginCandidate(run: "r1", id: "c1", dataset: "a", objective: "binary", metric: "roc_auc")
        var pipeline = CandidatePipeline(budget: .init(designAttempts: 1, refactorAttempts: 1), startingAt: .design)
        var seq = 0
        for outcome: CandidatePipeline.Outcome in [.passed, .failed([Defect(stage: .assertionsPre, check: "no_answer_leak", message: "m")])] {
            let recorded = pipeline.record(outcome)
            let transition = try #require(recorded)
            seq += 1
            try await store.recordTransition(run: "r1", candidate: "c1", seq: seq, transition: transition, detail: .null, seconds: 0.5)
        }
        try await store.finishCandidate(run: "r1", id: "c1", verified: false, seconds: 1, defects: pipeline.allDefects, report: [:])
        try await store.finishRun(id: "r1", summary: ["verified": 0])
        let rows = try await store.transitions(run: "r1", candidate: "c1")
        #expect(rows.map(\.stage) == ["design", "assertions_pre"])
        #expect(rows.map(\.outcome) == ["passed", "failed"])
        #expect(rows.map(\.next) == ["assertions_pre", "rejected"])
    }
}
