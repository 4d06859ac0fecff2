import Foundation
import Synchronization
import ZeroMQ

/// The ROUTER socket and the one thread that owns it. Each request becomes a task whose preferred
/// executor is that same thread (`LoopExecutor`): the thread waits on the socket and a wake-up pipe,
/// receives, and runs the tasks' jobs in between, so a request is answered without changing threads and
/// no blocking call runs on Swift's cooperative pool. Work a task hands elsewhere (child processes, the
/// grader) comes back through the executor, which wakes the thread.
///
/// Replies go out through a `ReplyOutbox`: a client that reads late gets every reply when it reads
/// (up to `maxClientRequests` requests unanswered or unread, BUSY beyond), never a silent drop.
public final class ZMQTransport: Sendable {
    public typealias Handler = @Sendable (Data) async -> Data

    private let endpoint: String
    private let maxFrameBytes: Int
    private let handler: Handler
    private let tooLarge: @Sendable (Int) -> Data
    private let busy: @Sendable (Data) -> Data
    /// The bound socket (nil before it is bound and after it is closed: replies then have nowhere to go)
    /// and the replies waiting for their clients to read.
    private let wire: Mutex<Wire>
    private let stopping = Mutex(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let context = ZMQContext()
    private let bound = Mutex<Result<String, ZMQError>?>(nil)
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let done = Mutex(false)
    private let executor: LoopExecutor

    private struct Wire {
        var socket: ZMQSocket?
        var outbox: ReplyOutbox
    }

    /// `tooLarge` builds the error reply for a frame of the given size over `maxFrameBytes`; `busy` the
    /// BUSY reply to a request (its payload) from a client over `maxClientRequests`.
    public init(endpoint: String, maxFrameBytes: Int, maxClientRequests: Int, handler: @escaping Handler,
                tooLarge: @escaping @Sendable (Int) -> Data, busy: @escaping @Sendable (Data) -> Data) throws {
        self.endpoint = endpoint
        self.maxFrameBytes = maxFrameBytes
        self.handler = handler
        self.tooLarge = tooLarge
        self.busy = busy
        wire = Mutex(Wire(socket: nil, outbox: ReplyOutbox(maxRequests: maxClientRequests)))
        let pipe = try ChildProcess.makePipe()
        wakeRead = pipe.0
        wakeWrite = pipe.1
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        let wakeWrite = self.wakeWrite
        executor = LoopExecutor { Self.wake(wakeWrite) }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Binds and starts serving on a dedicated thread; returns the bound endpoint (wildcard ports resolved).
    public func start() throws -> String {
        let thread = Thread { [self] in serve() }
        thread.name = "zmq-router"
        thread.start()
        while true {
            if let result = bound.withLock({ $0 }) { return try result.get() }
            usleep(1000)
        }
    }

    /// Stops receiving and closes the socket (replies already sent are on their way); returns when it is closed.
    /// Requests still being handled finish on the global executor; their replies have nowhere to go.
    public func stop() async {
        stopping.withLock { $0 = true }
        Self.wake(wakeWrite)
        await withCheckedContinuation { continuation in
            let alreadyDone = done.withLock { done in
                if !done { finished.withLock { $0 = continuation } }
                return done
            }
            if alreadyDone { continuation.resume() }
        }
    }

    private static func wake(_ descriptor: Int32) {
        var byte: UInt8 = 1
        _ = write(descriptor, &byte, 1)
    }

    /// Hands a reply to its client, or keeps it until the client reads; called on the socket's thread.
    private func deliver(_ frames: [Data], kind: ReplyOutbox.ReplyKind) {
        wire.withLock { wire in
            guard let socket = wire.socket, let client = frames.first else { return }
            wire.outbox.deliver(frames, to: client, kind: kind) { Self.send($0, on: socket) }
        }
    }

    /// One non-blocking send; with ROUTER_MANDATORY a full client queue is EAGAIN, a client gone EHOSTUNREACH.
    private static func send(_ frames: [Data], on socket: ZMQSocket) -> ReplyOutbox.SendResult {
        do {
            try socket.send(frames, dontWait: true)
            return .sent
        } catch let error as ZMQError where error.isAgain {
            return .wouldBlock
        } catch {
            return .clientGone
        }
    }

    private func serve() {
        executor.adoptCurrentThread()
        let descriptor: Int32
        do {
            let (socketDescriptor, resolved) = try bind()
            descriptor = socketDescriptor
            bound.withLock { $0 = .success(resolved) }
        } catch let error as ZMQError {
            bound.withLock { $0 = .failure(error) }
            finish()
            return
        } catch {
            bound.withLock { $0 = .failure(ZMQError("socket", code: EINVAL)) }
            finish()
            return
        }
        var drain = [UInt8](repeating: 0, count: 256)
        var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while !stopping.withLock({ $0 }) {
            executor.runPending()
            // Receiving until nothing waits also has libzmq process its pending commands, so the
            // descriptor signals again for the next request (a reply just sent may have taken its
            // signal): only then is it safe to sleep on it.
            let (received, waiting) = wire.withLock { wire in
                var count = 0
                while let socket = wire.socket, let frames = try? socket.receive(dontWait: true) {
                    accept(frames, wire: &wire, socket: socket)
                    count += 1
                }
                // Receiving also had libzmq take in the clients' reads: retry the replies that wait for them.
                guard let socket = wire.socket else { return (count, false) }
                return (count, wire.outbox.flush { Self.send($0, on: socket) })
            }
            if received > 0 || executor.hasPending { continue }
            // A client's read wakes the descriptor too; the short wait is only a safety net.
            _ = poll(&watched, 2, waiting ? 10 : 200)
            if watched[1].revents & Int16(POLLIN) != 0 { while read(wakeRead, &drain, drain.count) > 0 {} }
        }
        executor.stop()
        wire.withLock { wire in
            wire.socket?.close()
            wire.socket = nil
        }
        finish()
    }

    /// Creates and binds the socket; returns its descriptor to wait on and the bound endpoint.
    private func bind() throws -> (descriptor: Int32, endpoint: String) {
        try wire.withLock { wire in
            let socket = try ZMQSocket(context: context, kind: .router)
            try socket.setRouterMandatory()
            // libzmq drops a peer whose message passes this hard cap; below it, we answer FRAME_TOO_LARGE.
            try socket.setMaxMessageSize(Int64(max(maxFrameBytes * 16, 256 * 1024 * 1024)))
            try socket.bind(endpoint)
            let descriptor = try socket.fileDescriptor()
            let resolved = (try? socket.lastEndpoint()) ?? endpoint
            wire.socket = socket
            return (descriptor, resolved)
        }
    }

    /// ROUTER frames are [peer identity, (empty delimiter for REQ), payload]: everything but the payload is echoed.
    /// A client over its request cap is refused at once (BUSY); a frame over the size cap gets FRAME_TOO_LARGE.
    private func accept(_ frames: [Data], wire: inout Wire, socket: ZMQSocket) {
        guard frames.count >= 2, let client = frames.first, let payload = frames.last else { return }
        let envelope = Array(frames.dropLast())
        switch wire.outbox.admit(from: client) {
        case .discard:
            return
        case .refuse:
            let refusal = payload.count > maxFrameBytes ? tooLarge(payload.count) : busy(payload)
            wire.outbox.deliver(envelope + [refusal], to: client, kind: .refusal) { Self.send($0, on: socket) }
            return
        case .answer:
            break
        }
        if payload.count > maxFrameBytes {
            wire.outbox.deliver(envelope + [tooLarge(payload.count)], to: client, kind: .answer) { Self.send($0, on: socket) }
            return
        }
        let handler = self.handler
        _Concurrency.Task(executorPreference: executor) { [self] in
            let reply = await handler(payload)
            deliver(envelope + [reply], kind: .answer)
        }
    }

    private func finish() {
        let waiting = done.withLock { done -> CheckedContinuation<Void, Never>? in
            done = true
            return finished.withLock { continuation in defer { continuation = nil }; return continuation }
        }
        waiting?.resume()
    }
}
