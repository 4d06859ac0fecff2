import Wire

/// Why an Env request produced no result.
public enum EnvClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered `ok: false` with this code (clients treat codes they do not know like INTERNAL).
    case server(code: String, message: String)
    /// No reply within the request's timeout (the request may still be running on the server).
    case timeout(action: String, seconds: Double)
    /// A reply that is not a protocol v1 reply.
    case malformedReply(String)
    /// The socket could not be created or connected.
    case connection(String)
    /// The request is larger than the protocol's 16 MiB frame limit; it was not sent.
    case requestTooLarge(bytes: Int)
    /// The client was closed while the request waited.
    case closed
    case cancelled

    /// The protocol error code of a `server` error.
    public var serverCode: ErrorCode? {
        if case .server(let code, _) = self { return ErrorCode(rawValue: code) ?? .internal }
        return nil
    }

    public var description: String {
        switch self {
        case .server(let code, let message): "\(code): \(message)"
        case .timeout(let action, let seconds): "no reply to \(action) within \(seconds) s"
        case .malformedReply(let detail): "malformed reply: \(detail)"
        case .connection(let detail): "cannot reach the server: \(detail)"
        case .requestTooLarge(let bytes): "request of \(bytes) bytes is over the 16 MiB frame limit"
        case .closed: "the client was closed"
        case .cancelled: "cancelled"
        }
    }
}
