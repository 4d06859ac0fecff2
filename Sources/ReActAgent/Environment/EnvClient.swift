import Foundation
import Synchronization
import Wire
import ZeroMQ

/// A protocol v1 client over one ZeroMQ DEALER socket: the agent talks to Env exactly like an outside
/// client. One thread owns the socket (libzmq sockets are not thread-safe, and its blocking poll must
/// stay off Swift's cooperative pool); callers get an async API with request ids, any number of
/// requests in flight, and a timeout per request.
public final class EnvClient: Sendable {
    public let endpoint: String
    private let core: DealerCore

    /// The protocol's request size limit.
    public static let maxRequestBytes = 16 * 1024 * 1024

    /// Connects to `endpoint` (tcp:// or ipc://). Connecting does not wait for the server: a server that
    /// is not there shows up as request timeouts.
    public init(endpoint: String) throws(EnvClientError) {
        self.endpoint = endpoint
        core = try DealerCore.start(endpoint: endpoint)
    }

    deinit { core.stop() }

    /// Sends one request and returns its `result`, or throws the server's error as `.server`.
    public func call(_ action: Action, session: String? = nil, params: [String: JSONValue] = [:],
                     timeoutSeconds: Double) async throws(EnvClientError) -> JSONValue {
        let id = core.nextID()
        var request: [String: JSONValue] = ["v": 1, "id": .string(id), "action": .string(action.rawValue)]
        if let session { request["session"] = .string(session) }
        if !params.isEmpty { request["params"] = .object(params) }
        let payload = JSONValue.object(request).encoded()
        guard payload.count <= Self.maxRequestBytes else { throw .requestTooLarge(bytes: payload.count) }
        let reply = try await core.exchange(id: id, payload: payload, action: action.rawValue, timeoutSeconds: timeoutSeconds).get()
        return try Self.result(of: reply, id: id)
    }

    /// Stops the socket thread; requests still waiting fail with `.closed`.
    public func close() { core.stop() }

    static func result(of reply: Data, id: String) throws(EnvClientError) -> JSONValue {
        let json: JSONValue
        do { json = try JSONValue.decode(reply) } catch { throw .malformedReply("not JSON") }
        guard json["id"]?.stringValue == id else { throw .malformedReply("reply id does not match \(id)") }
        switch json["ok"] {
        case .bool(true)?:
            guard let result = json["result"] else { throw .malformedReply("ok reply without result") }
            return result
        case .bool(false)?:
            let code = json["error"]?["code"]?.stringValue ?? "INTERNAL"
            let message = json["error"]?["message"]?.stringValue ?? "(no message)"
            throw .server(code: code, message: message)
        default:
            throw .malformedReply("no boolean 'ok'")
        }
    }
}
