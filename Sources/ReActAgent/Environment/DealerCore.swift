import Foundation
import Synchronization
import Wire
import ZeroMQ

/// The DEALER socket's thread (`ZMQSocketThread`) and what it shares with callers: an outbox and the
/// waiting requests. Requests libzmq could not take yet wait beside the socket, in order.
final class DealerCore: Sendable {
    private let thread: ZMQSocketThread<[Data]>
    private let outbox = Mutex<[Data]>([])
    private let waiting = Mutex<[String: CheckedContinuation<Result<Data, EnvClientError>, Never>]>([:])
    private let counter = Atomic<Int>(0)
    private let prefix = "agent-\(UUID().uuidString.prefix(8).lowercased())"

    private init(thread: ZMQSocketThread<[Data]>) {
        self.thread = thread
    }

    static func start(endpoint: String) throws(EnvClientError) -> DealerCore {
        let core: DealerCore
        do { core = DealerCore(thread: try ZMQSocketThread(state: [])) } catch { throw .connection("cannot create a wake-up pipe") }
        do {
            _ = try core.thread.start(
                name: "env-client", kind: .dealer,
                open: { socket in
                    try socket.connect(endpoint)
                    return endpoint
                },
                turn: { core.turn() },
                onStop: { core.failAll(.closed) })
        } catch {
            throw .connection("\(endpoint): \(error)")
        }
        return core
    }

    func nextID() -> String { "\(prefix)-\(counter.add(1, ordering: .relaxed).newValue)" }

    func stop() {
        thread.requestStop()
        failAll(.closed)
    }

    func exchange(id: String, payload: Data, action: String, timeoutSeconds: Double) async -> Result<Data, EnvClientError> {
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(Int(max(0.001, timeoutSeconds) * 1000)))
            resolve(id, .failure(.timeout(action: action, seconds: timeoutSeconds)))
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0[id] = continuation }
                if thread.isStopping { resolve(id, .failure(.closed)); return }
                if Task.isCancelled { resolve(id, .failure(.cancelled)); return }
                outbox.withLock { $0.append(payload) }
                thread.wake()
            }
        } onCancel: {
            resolve(id, .failure(.cancelled))
        }
    }

    /// Resumes the request `id` once; later resolutions (a late reply after a timeout) are dropped.
    private func resolve(_ id: String, _ result: Result<Data, EnvClientError>) {
        let continuation = waiting.withLock { $0.removeValue(forKey: id) }
        continuation?.resume(returning: result)
    }

    private func failAll(_ error: EnvClientError) {
        let all = waiting.withLock { table in defer { table = [:] }; return table }
        for continuation in all.values { continuation.resume(returning: .failure(error)) }
    }

    /// One turn of the socket's thread: send what callers queued (in order, until libzmq is full), then
    /// receive every reply waiting.
    private func turn() -> ZMQSocketThread<[Data]>.Pace {
        let queued = outbox.withLock { box in defer { box = [] }; return box }
        let (replies, allSent) = thread.withSocket { socket, unsent -> ([Data], Bool) in
            unsent += queued
            while let payload = unsent.first {
                // The REQ-compatible envelope: an empty delimiter, then the payload.
                do { try socket.send([Data(), payload], dontWait: true) } catch { break }
                unsent.removeFirst()
            }
            var replies: [Data] = []
            while let frames = try? socket.receive(dontWait: true) { replies.append(frames.last ?? Data()) }
            return (replies, unsent.isEmpty)
        } ?? ([], true)
        replies.forEach(deliver)
        return .wait(milliseconds: allSent ? 200 : 5)
    }

    private func deliver(_ payload: Data) {
        guard let json = try? JSONValue.decode(payload), let id = json["id"]?.stringValue else { return }
        resolve(id, .success(payload))
    }
}
