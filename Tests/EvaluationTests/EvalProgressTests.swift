import Evaluation
import Testing

@Suite("EvalProgress")
struct EvalProgressTests {
    let keys = EvalKey.plan(models: ["m1", "m2"], tasks: ["t1", "t2"], runs: 2)

    @Test func thePlanIsEveryModelOnEveryTaskRunByRun() {
        #expect(keys.count == 8)
        #expect(keys.prefix(4).map(\.runKey) == ["m1/t1/1", "m2/t1/1", "m1/t2/1", "m2/t2/1"])
        #expect(keys.last?.runKey == "m2/t2/2")
        #expect(EvalKey.plan(models: ["m"], tasks: ["t"], runs: 0).isEmpty)
    }

    @Test func finishedKeysAreSkippedAndCountAsDone() {
        let progress = EvalProgress(planned: keys, alreadyFinished: [keys[0], keys[5], EvalKey(model: "gone", task: "t9", runIndex: 1)])
        #expect(progress.total == 8 && progress.skipped == 2 && progress.done == 2 && progress.pending == 6)
        #expect(progress.pendingKeys == keys.enumerated().filter { ![0, 5].contains($0.offset) }.map(\.element))
        #expect(progress.etaSeconds(concurrency: 2) == nil, "no run finished here yet: no ETA")
        #expect(progress.statusLine(concurrency: 2) == "done 2 / total 8 · running 0 · failed 0 · ETA ?")
    }

    @Test func transitionsAndTheETA() throws {
        var progress = EvalProgress(planned: keys)
        try progress.apply(.started(keys[0]))
        try progress.apply(.started(keys[1]))
        #expect(progress.running == 2 && progress.pending == 6)
        try progress.apply(.finished(keys[0], seconds: 100))
        try progress.apply(.failed(keys[1], error: "server gone"))
        #expect(progress.done == 1 && progress.failed == 1 && progress.running == 0 && progress.pending == 6)
        // 6 left at 100 s each, 2 at once: 300 s.
        #expect(progress.etaSeconds(concurrency: 2) == 300)
        #expect(progress.statusLine(concurrency: 2) == "done 1 / total 8 · running 0 · failed 1 · ETA 5m00s")
        try progress.apply(.started(keys[2]))
        try progress.apply(.finished(keys[2], seconds: 200))
        // mean 150 s × 5 left ÷ 1 = 750 s.
        #expect(progress.etaSeconds(concurrency: 1) == 750)
        #expect(!progress.isComplete)
        #expect(progress.states[keys[1]] == .failed(error: "server gone"))
    }

    @Test func transitionsThatDoNotFitAreRefusedAndChangeNothing() throws {
        var progress = EvalProgress(planned: keys, alreadyFinished: [keys[3]])
        let before = progress
        #expect(throws: EvalProgress.TransitionError.self) { try progress.apply(.finished(keys[0], seconds: 1)) }
        #expect(throws: EvalProgress.TransitionError.self) { try progress.apply(.started(keys[3])) }
        #expect(throws: EvalProgress.TransitionError.self) { try progress.apply(.started(EvalKey(model: "x", task: "y", runIndex: 1))) }
        #expect(progress == before)
        try progress.apply(.started(keys[0]))
        #expect(throws: EvalProgress.TransitionError.self) { try progress.apply(.started(keys[0])) }
        try progress.apply(.failed(keys[0], error: "e"))
        #expect(throws: EvalProgress.TransitionError.self) { try progress.apply(.finished(keys[0], seconds: 1)) }
    }

    @Test func allDoneMeansNoETALeft() throws {
        let one = [EvalKey(model: "m", task: "t", runIndex: 1)]
        var progress = EvalProgress(planned: one)
        try progress.apply(.started(one[0]))
        try progress.apply(.finished(one[0], seconds: 3))
        #expect(progress.isComplete && progress.etaSeconds(concurrency: 4) == 0)
        #expect(EvalProgress.duration(45) == "45s" && EvalProgress.duration(200) == "3m20s" && EvalProgress.duration(3720) == "1h02m")
    }
}
