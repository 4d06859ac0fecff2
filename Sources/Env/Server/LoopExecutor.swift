import Foundation
import Synchronization

/// A task executor whose jobs run on one thread, between that thread's other work. The ZeroMQ thread
/// runs the requests it receives on it, so a request is parsed, handled, stored and answered without
/// being handed to the cooperative pool and back: two thread wake-ups fewer, and warm caches (on two
/// cores that was a third of a request_info). Default actors called from such a task run here too;
/// unstructured tasks (`Task {}`) it starts do not. Jobs enqueued from other threads (a child process
/// ended, the grader replied) wake the thread. Once stopped, jobs go to the global concurrent executor,
/// so no task waits on a thread that is gone.
final class LoopExecutor: TaskExecutor, Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var thread: pthread_t?
        var stopped = false
    }

    private enum Admission { case queued, wake, forward }

    private let state = Mutex(State())
    private let wake: @Sendable () -> Void

    /// `wake` interrupts the thread's wait, after which it calls `runPending`.
    init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    /// Binds the executor to the calling thread, which from now on calls `runPending`.
    func adoptCurrentThread() {
        state.withLock { $0.thread = pthread_self() }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let admission = state.withLock { state -> Admission in
            if state.stopped { return .forward }
            state.jobs.append(job)
            // With jobs already queued the thread is awake or has been woken; on the thread itself it
            // runs them before it waits again.
            guard state.jobs.count == 1, let thread = state.thread, pthread_equal(thread, pthread_self()) == 0 else { return .queued }
            return .wake
        }
        switch admission {
        case .queued: break
        case .wake: wake()
        case .forward: globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    var hasPending: Bool { state.withLock { !$0.jobs.isEmpty } }

    /// Runs the queued jobs and those they enqueue, until none is left. Only on the adopted thread.
    func runPending() {
        while true {
            let batch = state.withLock { state in
                defer { state.jobs = [] }
                return state.jobs
            }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// Hands the queued jobs, and every later one, to the global concurrent executor.
    func stop() {
        let left = state.withLock { state in
            state.stopped = true
            defer { state.jobs = [] }
            return state.jobs
        }
        for job in left { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }
}
