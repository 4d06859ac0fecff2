import Foundation
import Synchronization
import ZeroMQ

/// The ROUTER socket and the one thread that owns it. Each request becomes a task whose preferred
/// executor is that same thread (`LoopExecutor`): the thread waits on the socket and a wake-up pipe,
/// receives, and runs the tasks' jobs in between, so a request is answered without changing threads and
/// no blocking call runs on Swift's cooperative pool. Work a task hands elsewhere (child processes, the
/// grader) comes back through the executor, which wakes the thread.
public final class ZMQTransport: Sendable {
    public typealias Handler = @Sendable (Data) async -> Data

    private let endpoint: String
    private let maxFrameBytes: Int
    private let handler: Handler
    private let tooLarge: @Sendable (Int) -> Data
    /// The bound socket; nil before it is bound and after it is closed (replies then have nowhere to go).
    private let socket = Mutex<ZMQSocket?>(nil)
    private let stopping = Mutex(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let context = ZMQContext()
    private let bound = Mutex<Result<String, ZMQError>?>(nil)
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let done = Mutex(false)
    private let executor: LoopExecutor

    /// `tooLarge` builds the error reply for a frame of the given size over `maxFrameBytes`.
    public init(endpoint: String, maxFrameBytes: Int, handler: @escaping Handler, tooLarge: @escaping @Sendable (Int) -> Data) throws {
        self.endpoint = endpoint
        self.maxFrameBytes = maxFrameBytes
        self.handler = handler
        self.tooLarge = tooLarge
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

    /// Sends a reply; called by the request's task, on the socket's thread (see `serve`).
    private func send(_ frames: [Data]) {
        socket.withLock { socket in _ = try? socket?.send(frames, dontWait: true) }
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
            let received = socket.withLock { socket in
                var count = 0
                while let socket, let frames = try? socket.receive(dontWait: true) {
                    accept(frames, on: socket)
                    count += 1
                }
                return count
            }
            if received > 0 || executor.hasPending { continue }
            _ = poll(&watched, 2, 200)
            if watched[1].revents & Int16(POLLIN) != 0 { while read(wakeRead, &drain, drain.count) > 0 {} }
        }
        executor.stop()
        socket.withLock { socket in
            socket?.close()
            socket = nil
        }
        finish()
    }

    /// Creates and binds the socket; returns its descriptor to wait on and the bound endpoint.
    private func bind() throws -> (descriptor: Int32, endpoint: String) {
        try socket.withLock { slot in
            let socket = try ZMQSocket(context: context, kind: .router)
            // libzmq drops a peer whose message passes this hard cap; below it, we answer FRAME_TOO_LARGE.
            try socket.setMaxMessageSize(Int64(max(maxFrameBytes * 16, 256 * 1024 * 1024)))
            try socket.bind(endpoint)
            let descriptor = try socket.fileDescriptor()
            let resolved = (try? socket.lastEndpoint()) ?? endpoint
            slot = socket
            return (descriptor, resolved)
        }
    }

    /// ROUTER frames are [peer identity, (empty delimiter for REQ), payload]: everything but the payload is echoed.
    private func accept(_ frames: [Data], on socket: ZMQSocket) {
        guard frames.count >= 2, let payload = frames.last else { return }
        let envelope = Array(frames.dropLast())
        if payload.count > maxFrameBytes {
            try? socket.send(envelope + [tooLarge(payload.count)], dontWait: true)
            return
        }
        let handler = self.handler
        _Concurrency.Task(executorPreference: executor) { [self] in
            let reply = await handler(payload)
            send(envelope + [reply])
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
