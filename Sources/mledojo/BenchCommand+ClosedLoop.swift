import Foundation
import Synchronization

extension BenchCommand {
    /// A closed-loop load: `clients` threads, each preparing what it drives with `prepare` (its own
    /// socket, perhaps a warm session); once every one is ready, each repeats `operation` until `seconds`
    /// have passed (at least once, and an operation started by then is finished), then `finish`es.
    /// Returns operations per second of wall time, from the start until the last thread is done; the
    /// first failure is thrown, and stops the others at their next operation.
    static func closedLoopRate<State>(clients: Int, seconds: Double, prepare: @escaping @Sendable () throws -> State,
                                      operation: @escaping @Sendable (State) throws -> Void,
                                      finish: @escaping @Sendable (State) -> Void = { _ in }) throws -> Double {
        let total = Mutex(0)
        let failure = Mutex<String?>(nil)
        let deadlineBox = Mutex(Date.distantFuture)
        let opened = Mutex(0)
        let ready = DispatchGroup()
        ready.enter()
        let group = DispatchGroup()
        for _ in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let state = try prepare()
                    defer { finish(state) }
                    opened.withLock { $0 += 1 }
                    ready.wait()
                    let deadline = deadlineBox.withLock { $0 }
                    var count = 0
                    repeat {
                        guard failure.withLock({ $0 }) == nil else { break }
                        try operation(state)
                        count += 1
                    } while Date() < deadline
                    total.withLock { $0 += count }
                } catch {
                    failure.withLock { $0 = $0 ?? "\(error)" }
                }
            }.start()
        }
        while opened.withLock({ $0 }) < clients && failure.withLock({ $0 }) == nil { usleep(10_000) }
        let started = ContinuousClock.now
        deadlineBox.withLock { $0 = Date().addingTimeInterval(seconds) }
        ready.leave()
        group.wait()
        if let message = failure.withLock({ $0 }) { throw BenchError(message) }
        return Double(total.withLock { $0 }) / (milliseconds(since: started) / 1000)
    }
}
