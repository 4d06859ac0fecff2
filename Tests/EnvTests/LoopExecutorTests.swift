import Foundation
import Synchronization
import Testing

@testable import Env

/// The loop's wake-up: a semaphore that counts how often it was signalled.
private final class Wake: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    let count = Mutex(0)

    func signal() {
        count.withLock { $0 += 1 }
        semaphore.signal()
    }
}

/// Runs a `LoopExecutor` on a thread of its own, the way the ZeroMQ thread does, until stopped.
private final class Loop: Sendable {
    let wake = Wake()
    let thread = Mutex<pthread_t?>(nil)
    private let running = Mutex(true)
    private let exited = DispatchSemaphore(value: 0)
    let executor: LoopExecutor

    init() {
        let wake = wake
        executor = LoopExecutor { wake.signal() }
        Thread { [self] in
            executor.adoptCurrentThread()
            thread.withLock { $0 = pthread_self() }
            while running.withLock({ $0 }) {
                executor.runPending()
                if !executor.hasPending { _ = wake.semaphore.wait(timeout: .now() + .milliseconds(50)) }
            }
            executor.stop()
            exited.signal()
        }.start()
        while thread.withLock({ $0 }) == nil { usleep(1000) }
    }

    func stop() {
        running.withLock { $0 = false }
        wake.semaphore.signal()
        exited.wait()
    }

    func isLoopThread(_ candidate: pthread_t) -> Bool { pthread_equal(thread.withLock { $0! }, candidate) != 0 }
}

private actor Counter {
    var count = 0
    func bump() -> pthread_t {
        count += 1
        return pthread_self()
    }
}

@Suite("LoopExecutor")
struct LoopExecutorTests {
    @Test func aTaskRunsOnTheLoopThreadAcrossAwaitsAndActorCalls() async throws {
        let loop = Loop()
        defer { loop.stop() }
        let counter = Counter()
        let threads = try await Task(executorPreference: loop.executor) {
            let start = pthread_self()
            // Resumed from another thread: the executor wakes the loop, which resumes the task.
            try await Task.sleep(for: .milliseconds(20))
            let afterSleep = pthread_self()
            let inActor = await counter.bump()
            return [start, afterSleep, inActor, pthread_self()]
        }.value
        #expect(threads.allSatisfy(loop.isLoopThread))
        #expect(loop.wake.count.withLock { $0 } >= 1)
    }

    @Test func unstructuredTasksItStartsRunElsewhere() async throws {
        let loop = Loop()
        defer { loop.stop() }
        let inner = await Task(executorPreference: loop.executor) {
            await Task { pthread_self() }.value
        }.value
        #expect(!loop.isLoopThread(inner))
    }

    @Test func afterStopTasksStillRunToTheEnd() async throws {
        let loop = Loop()
        loop.stop()
        let thread = try await Task(executorPreference: loop.executor) {
            try await Task.sleep(for: .milliseconds(5))
            return pthread_self()
        }.value
        #expect(!loop.isLoopThread(thread))
    }
}
