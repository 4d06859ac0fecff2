import CZMQ
import Foundation

/// One libzmq socket. Not thread-safe (libzmq's rule): create, use and close it on one thread.
public final class ZMQSocket {
    /// The socket patterns this project uses.
    public enum Kind: Sendable {
        case router, dealer, request, reply, pair

        var rawValue: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            case .request: ZMQ_REQ
            case .reply: ZMQ_REP
            case .pair: ZMQ_PAIR
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    private var isClosed = false
    /// Kept alive as long as the socket: libzmq requires the context to outlive it.
    private let context: ZMQContext

    public init(context: ZMQContext, kind: Kind) throws {
        guard let socket = zmq_socket(context.handle, kind.rawValue) else { throw ZMQError("zmq_socket") }
        self.handle = socket
        self.context = context
        try setOption(ZMQ_LINGER, 0)
    }

    deinit { close() }

    public func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError("connect \(endpoint)") }
    }

    /// The endpoint actually bound (resolves a `tcp://127.0.0.1:*` wildcard port).
    public func lastEndpoint() throws -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { throw ZMQError("last endpoint") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func setOption(_ option: Int32, _ value: Int) throws {
        guard czmq_setsockopt_int(handle, option, Int32(value)) == 0 else { throw ZMQError("setsockopt \(option)") }
    }

    /// Largest inbound message libzmq accepts; a bigger one drops the peer's connection.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        guard czmq_setsockopt_int64(handle, ZMQ_MAXMSGSIZE, bytes) == 0 else { throw ZMQError("maxmsgsize") }
    }

    /// ROUTER only: a send to a client whose queue is full fails with EAGAIN (and to an unknown client
    /// with EHOSTUNREACH) instead of being dropped without a word.
    public func setRouterMandatory(_ on: Bool = true) throws { try setOption(ZMQ_ROUTER_MANDATORY, on ? 1 : 0) }

    /// Receive timeout in milliseconds (-1 blocks forever).
    public func setReceiveTimeout(milliseconds: Int) throws { try setOption(ZMQ_RCVTIMEO, milliseconds) }

    /// Sends a multipart message. Throws with `isAgain` if it would block past the send timeout.
    public func send(_ frames: [Data], dontWait: Bool = false) throws {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            let sent = frame.withUnsafeBytes { buffer in
                zmq_send(handle, buffer.baseAddress, buffer.count, flags)
            }
            guard sent >= 0 else { throw ZMQError("send") }
        }
    }

    /// Receives one whole multipart message, or nil when none is waiting (`dontWait`) or the timeout passed.
    public func receive(dontWait: Bool = false) throws -> [Data]? {
        var frames: [Data] = []
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        while true {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            let received = zmq_msg_recv(message, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if received < 0 {
                let error = ZMQError("receive")
                if error.isAgain && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(message)
            if size > 0, let data = zmq_msg_data(message) {
                frames.append(Data(bytes: data, count: size))
            } else {
                frames.append(Data())
            }
            if zmq_msg_more(message) == 0 { return frames }
        }
    }

    /// Waits until this socket is readable or `fileDescriptor` is readable, at most `timeoutMilliseconds`.
    public func poll(alsoWatching fileDescriptor: Int32? = nil, timeoutMilliseconds: Int) throws -> (socket: Bool, fileDescriptor: Bool) {
        var items = [zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
        if let fileDescriptor {
            items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: Int16(ZMQ_POLLIN), revents: 0))
        }
        let count = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        if count < 0 {
            let error = ZMQError("poll")
            if error.code == EINTR { return (false, false) }
            throw error
        }
        let socketReady = items[0].revents & Int16(ZMQ_POLLIN) != 0
        let fdReady = items.count > 1 && items[1].revents & Int16(ZMQ_POLLIN) != 0
        return (socketReady, fdReady)
    }

    /// The descriptor that becomes readable when libzmq has news for this socket (ZMQ_FD), to wait on
    /// with poll(2) beside other descriptors. It signals changes, not state: after any operation on the
    /// socket, receive until nothing waits before waiting on it again.
    public func fileDescriptor() throws -> Int32 {
        var descriptor: Int32 = -1
        guard czmq_getsockopt_int(handle, ZMQ_FD, &descriptor) == 0 else { throw ZMQError("getsockopt ZMQ_FD") }
        return descriptor
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        zmq_close(handle)
    }
}
