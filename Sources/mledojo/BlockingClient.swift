import Env
import Foundation
import ZeroMQ

/// A blocking protocol-v1 client: one DEALER socket, used from one thread. The benchmark drives the
/// public endpoint with it, `tasks register` the admin endpoint.
final class BlockingClient {
    /// An error reply (its code and message) or no reply in time (no code).
    struct Failure: Error, CustomStringConvertible {
        let action: Action
        let code: String?
        let message: String
        var description: String { code.map { "\(action) failed: \($0): \(message)" } ?? message }
    }

    private let socket: ZMQSocket
    private var counter = 0

    init(context: ZMQContext, endpoint: String, timeoutMilliseconds: Int = 600_000) throws {
        socket = try ZMQSocket(context: context, kind: .dealer)
        try socket.setReceiveTimeout(milliseconds: timeoutMilliseconds)
        try socket.connect(endpoint)
    }

    /// Sends a request and waits for its whole reply (ok or not); throws only when none comes in time.
    func reply(_ action: Action, session: String? = nil, params: [String: JSONValue] = [:]) throws -> JSONValue {
        counter += 1
        let id = "b\(counter)"
        let request: JSONValue = ["v": 1, "id": .string(id), "action": .string(action.rawValue), "session": .string(session),
                                  "params": .object(params)]
        try socket.send([Data(), request.encoded()])
        while true {
            guard let frames = try socket.receive(), let payload = frames.last else {
                throw Failure(action: action, code: nil, message: "no reply to \(action) in time")
            }
            let reply = try JSONValue.decode(payload)
            if reply["id"]?.stringValue == id { return reply }
        }
    }

    /// Sends a request and waits for its reply's `result`; throws `Failure` on an error reply or a timeout.
    func call(_ action: Action, session: String? = nil, params: [String: JSONValue] = [:]) throws -> JSONValue {
        let reply = try reply(action, session: session, params: params)
        guard reply["ok"]?.boolValue == true, let result = reply["result"] else {
            throw Failure(action: action, code: reply["error"]?["code"]?.stringValue,
                          message: reply["error"]?["message"]?.stringValue ?? reply.encodedString())
        }
        return result
    }

    func close() { socket.close() }
}
