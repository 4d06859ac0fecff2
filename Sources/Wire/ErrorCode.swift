/// The typed error codes of protocol v1 (protocol/protocol.md lists when each is sent).
public enum ErrorCode: String, Sendable, CaseIterable {
    case badRequest = "BAD_REQUEST"
    case unsupportedVersion = "UNSUPPORTED_VERSION"
    case unknownAction = "UNKNOWN_ACTION"
    case noSuchTask = "NO_SUCH_TASK"
    case noSuchSession = "NO_SUCH_SESSION"
    case sessionClosed = "SESSION_CLOSED"
    case budgetExhausted = "BUDGET_EXHAUSTED"
    case timeout = "TIMEOUT"
    case busy = "BUSY"
    case frameTooLarge = "FRAME_TOO_LARGE"
    /// An admin action sent to the public endpoint, or an admin request without the admin token.
    case forbidden = "FORBIDDEN"
    case `internal` = "INTERNAL"
}

/// An error that becomes an `ok: false` reply with a code and a readable message.
public struct EnvError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
