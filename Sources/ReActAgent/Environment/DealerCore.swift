import Foundation
import Synchronization
import Wire
import ZeroMQ

/// The socket thread and what it shares with callers: an outbox, the waiting requests, a wake-up pipe.
final class DealerCore: Sendable {
    private let context = ZMQContext()
    private let outbox = Mutex<[Data]>([])
    private let waiting = Mutex<[String: CheckedContinuation<Result<Data, EnvClientError>, Never>]>([:])
    private let stopping = Atomic<Bool>(false)
    private let counter = Atomic<Int>(0)
    private let prefix = "agent-\(UUID().uuidString.prefix(8).lowercased())"
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let connectResult = Mutex<Result<Void, EnvClientError>?>(nil)

    private init(wakeRead: Int32, wakeWrite: Int32) {
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
    }

    deinit {
        Foundation.close(wakeRead)
        Foundation.close(wakeWrite)
    }

    static func start(endpoint: String) throws(EnvClientError) -> DealerCore {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .connection("cannot create a wake-up pipe") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        let core = DealerCore(wakeRead: fds[0], wakeWrite: fds[1])
        let thread = Thread { core.serve(endpoint: endpoint) }
        thread.name = "env-client"
        thread.start()
        while true {
            if let result = core.connectResult.withLock({ $0 }) {
                try result.get()
                return core
            }
            usleep(500)
        }
    }

    func nextID() -> String { "\(prefix)-\(counter.add(1, ordering: .relaxed).newValue)" }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        wake()
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
                if stopping.load(ordering: .relaxed) { resolve(id, .failure(.closed)); return }
                if Task.isCancelled { resolve(id, .failure(.cancelled)); return }
                outbox.withLock { $0.append(payload) }
                wake()
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

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func serve(endpoint: String) {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context: context, kind: .dealer)
            try socket.connect(endpoint)
        } catch {
            connectResult.withLock { $0 = .failure(.connection("\(endpoint): \(error)")) }
            return
        }
        connectResult.withLock { $0 = .success(()) }
        var drain = [UInt8](repeating: 0, count: 256)
        var unsent: [Data] = []
        while !stopping.load(ordering: .relaxed) {
            let ready = (try? socket.poll(alsoWatching: wakeRead, timeoutMilliseconds: unsent.isEmpty ? 200 : 5))
                ?? (socket: false, fileDescriptor: false)
            if ready.fileDescriptor { while read(wakeRead, &drain, drain.count) > 0 {} }
            unsent += outbox.withLock { box in defer { box = [] }; return box }
            while let payload = unsent.first {
                // The REQ-compatible envelope: an empty delimiter, then the payload.
                do { try socket.send([Data(), payload], dontWait: true) } catch { break }
                unsent.removeFirst()
            }
            guard ready.socket else { continue }
            while let frames = try? socket.receive(dontWait: true) {
                deliver(frames.last ?? Data())
            }
        }
        socket.close()
        failAll(.closed)
    }

    private func deliver(_ payload: Data) {
        guard let json = try? JSONValue.decode(payload), let id = json["id"]?.stringValue else { return }
        resolve(id, .success(payload))
    }
}
