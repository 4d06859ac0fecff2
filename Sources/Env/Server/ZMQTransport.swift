import Foundation
import Synchronization
import ZeroMQ

/// The ROUTER socket and the one thread that owns it (`ZMQSocketThread`). Each request becomes a task
/// whose preferred executor is that same thread (`LoopExecutor`): the thread waits on the socket and a
/// wake-up pipe, receives, and runs the tasks' jobs in between, so a request is answered without
/// changing threads and no blocking call runs on Swift's cooperative pool. Work a task hands elsewhere (child processes, the
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
    /// The socket's thread; beside the socket it keeps the replies waiting for their clients to read.
    private let thread: ZMQSocketThread<ReplyOutbox>
    private let executor: LoopExecutor

    /// `tooLarge` builds the error reply for a frame of the given size over `maxFrameBytes`; `busy` the
    /// BUSY reply to a request (its payload) from a client over `maxClientRequests`.
    public init(endpoint: String, maxFrameBytes: Int, maxClientRequests: Int, handler: @escaping Handler,
                tooLarge: @escaping @Sendable (Int) -> Data, busy: @escaping @Sendable (Data) -> Data) throws {
        self.endpoint = endpoint
        self.maxFrameBytes = maxFrameBytes
        self.handler = handler
        self.tooLarge = tooLarge
        self.busy = busy
        let thread = try ZMQSocketThread(state: ReplyOutbox(maxRequests: maxClientRequests))
        self.thread = thread
        executor = LoopExecutor { thread.wake() }
    }

    /// Binds and starts serving on a dedicated thread (named `threadName`); returns the bound endpoint
    /// (wildcard ports resolved).
    public func start(threadName: String = "zmq-router") throws -> String {
        let maxMessageSize = Int64(max(maxFrameBytes * 16, 256 * 1024 * 1024))
        let endpoint = self.endpoint
        let executor = self.executor
        return try thread.start(
            name: threadName, kind: .router, onThread: { executor.adoptCurrentThread() },
            open: { socket in
                try socket.setRouterMandatory()
                // libzmq drops a peer whose message passes this hard cap; below it, we answer FRAME_TOO_LARGE.
                try socket.setMaxMessageSize(maxMessageSize)
                try socket.bind(endpoint)
                return (try? socket.lastEndpoint()) ?? endpoint
            },
            turn: { [self] in turn() },
            onStop: { executor.stop() })
    }

    /// Stops receiving and closes the socket (replies already sent are on their way); returns when it is closed.
    /// Requests still being handled finish on the global executor; their replies have nowhere to go.
    public func stop() async {
        await thread.stop()
    }

    /// One turn of the socket's thread: the requests' jobs, then every request waiting, then the replies
    /// waiting for their clients.
    private func turn() -> ZMQSocketThread<ReplyOutbox>.Pace {
        executor.runPending()
        // Receiving until nothing waits also has libzmq process its pending commands, so the
        // descriptor signals again for the next request (a reply just sent may have taken its
        // signal): only then is it safe to sleep on it.
        let (received, waiting) = thread.withSocket { socket, outbox in
            var count = 0
            while let frames = try? socket.receive(dontWait: true) {
                accept(frames, outbox: &outbox, socket: socket)
                count += 1
            }
            // Receiving also had libzmq take in the clients' reads: retry the replies that wait for them.
            return (count, outbox.flush { Self.send($0, on: socket) })
        } ?? (0, false)
        if received > 0 || executor.hasPending { return .again }
        // A client's read wakes the descriptor too; the short wait is only a safety net.
        return .wait(milliseconds: waiting ? 10 : 200)
    }

    /// Hands a reply to its client, or keeps it until the client reads; called on the socket's thread.
    private func deliver(_ frames: [Data], kind: ReplyOutbox.ReplyKind) {
        guard let client = frames.first else { return }
        _ = thread.withSocket { socket, outbox in
            outbox.deliver(frames, to: client, kind: kind) { Self.send($0, on: socket) }
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

    /// ROUTER frames are [peer identity, (empty delimiter for REQ), payload]: everything but the payload is echoed.
    /// A client over its request cap is refused at once (BUSY); a frame over the size cap gets FRAME_TOO_LARGE.
    private func accept(_ frames: [Data], outbox: inout ReplyOutbox, socket: ZMQSocket) {
        guard frames.count >= 2, let client = frames.first, let payload = frames.last else { return }
        let envelope = Array(frames.dropLast())
        switch outbox.admit(from: client) {
        case .discard:
            return
        case .refuse:
            let refusal = payload.count > maxFrameBytes ? tooLarge(payload.count) : busy(payload)
            outbox.deliver(envelope + [refusal], to: client, kind: .refusal) { Self.send($0, on: socket) }
            return
        case .answer:
            break
        }
        if payload.count > maxFrameBytes {
            outbox.deliver(envelope + [tooLarge(payload.count)], to: client, kind: .answer) { Self.send($0, on: socket) }
            return
        }
        let handler = self.handler
        _Concurrency.Task(executorPreference: executor) { [self] in
            let reply = await handler(payload)
            deliver(envelope + [reply], kind: .answer)
        }
    }
}
