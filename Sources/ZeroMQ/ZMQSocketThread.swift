import Foundation
import Synchronization

/// One libzmq socket and the one thread that owns it, waiting on the socket and on a wake-up pipe: the
/// loop under both the server's ROUTER and the agent's DEALER. libzmq sockets are not thread-safe and
/// its waits block, so neither belongs on Swift's cooperative pool.
///
/// The owner's `turn` runs on the thread between waits and says when to wait and for how long; `wake()`
/// cuts a wait short from any thread. The socket and the owner's `State` share one lock, so another
/// thread may use them through `withSocket` (a reply finished elsewhere) while this one waits. The wait
/// is on the socket's ZMQ_FD, which signals changes rather than state: a `turn` that asks to wait must
/// first have received until nothing was waiting.
public final class ZMQSocketThread<State>: Sendable {
    /// What the loop does after a turn.
    public enum Pace: Sendable, Equatable {
        /// Take another turn at once (more work is ready).
        case again
        /// Wait for the socket, a wake-up or at most this many milliseconds.
        case wait(milliseconds: Int)
    }

    private struct Guarded: ~Copyable {
        var socket: ZMQSocket?
        var state: State
    }

    private let context = ZMQContext()
    private let guarded: Mutex<Guarded>
    private let stopping = Atomic<Bool>(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let opened = Mutex<Result<String, any Error>?>(nil)
    /// Whether the socket is closed (or never opened), and who waits for that.
    private let closed = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// `state` lives beside the socket, under the same lock.
    public init(state: sending State) throws(ZMQError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ZMQError("wake-up pipe", code: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        guarded = Mutex(Guarded(socket: nil, state: state))
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts the thread `name`, which first calls `onThread`, then creates a socket of `kind` and has
    /// `open` set it up and bind or connect it (returning the endpoint to report), then calls `turn`
    /// until stopped, then `onStop`, then closes the socket. Returns `open`'s endpoint once it has
    /// returned, or throws what it threw (the socket is closed then).
    public func start(name: String, kind: ZMQSocket.Kind, onThread: @escaping @Sendable () -> Void = {},
                      open: @escaping @Sendable (ZMQSocket) throws -> String,
                      turn: @escaping @Sendable () -> Pace, onStop: @escaping @Sendable () -> Void = {}) throws -> String {
        let thread = Thread { [self] in
            onThread()
            guard let descriptor = openSocket(kind: kind, open: open) else {
                markClosed()
                return
            }
            loop(waitingOn: descriptor, turn: turn)
            onStop()
            guarded.withLock { guarded in
                guarded.socket?.close()
                guarded.socket = nil
            }
            markClosed()
        }
        thread.name = name
        thread.start()
        while true {
            if let result = opened.withLock({ $0 }) { return try result.get() }
            usleep(500)
        }
    }

    /// Runs `body` with the socket and the state under their lock; nil once the socket is closed.
    public func withSocket<Result: Sendable>(_ body: (ZMQSocket, inout State) -> Result) -> Result? {
        guarded.withLock { guarded in
            guard let socket = guarded.socket else { return nil }
            return body(socket, &guarded.state)
        }
    }

    /// Cuts the thread's wait short (it then takes a turn).
    public func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// True once a stop was asked for.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Asks the thread to stop after its current turn; does not wait.
    public func requestStop() {
        stopping.store(true, ordering: .relaxed)
        wake()
    }

    /// Asks the thread to stop and returns once its socket is closed.
    public func stop() async {
        requestStop()
        await withCheckedContinuation { continuation in
            let alreadyClosed = closed.withLock { closed in
                if !closed.done { closed.waiter = continuation }
                return closed.done
            }
            if alreadyClosed { continuation.resume() }
        }
    }

    /// Creates and opens the socket; returns the descriptor to wait on, or nil (reported) if that failed.
    private func openSocket(kind: ZMQSocket.Kind, open: (ZMQSocket) throws -> String) -> Int32? {
        do {
            let (descriptor, endpoint) = try guarded.withLock { guarded in
                let socket = try ZMQSocket(context: context, kind: kind)
                let endpoint = try open(socket)
                let descriptor = try socket.fileDescriptor()
                guarded.socket = socket
                return (descriptor, endpoint)
            }
            opened.withLock { $0 = .success(endpoint) }
            return descriptor
        } catch {
            opened.withLock { $0 = .failure(error) }
            return nil
        }
    }

    private func loop(waitingOn descriptor: Int32, turn: () -> Pace) {
        var drain = [UInt8](repeating: 0, count: 256)
        var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while !isStopping {
            guard case .wait(let milliseconds) = turn() else { continue }
            _ = poll(&watched, 2, Int32(clamping: milliseconds))
            if watched[1].revents & Int16(POLLIN) != 0 { while read(wakeRead, &drain, drain.count) > 0 {} }
        }
    }

    private func markClosed() {
        let waiter = closed.withLock { closed in
            closed.done = true
            defer { closed.waiter = nil }
            return closed.waiter
        }
        waiter?.resume()
    }
}
