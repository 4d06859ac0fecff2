import Env
import Foundation
import ZeroMQ

/// A blocking protocol-v1 client for the benchmark: one DEALER socket, used from one thread.
final class BenchClient {
    private let socket: ZMQSocket
    private var counter = 0

    init(context: ZMQContext, endpoint: String, timeoutMilliseconds: Int = 600_000) throws {
        socket = try ZMQSocket(context: context, kind: .dealer)
        try socket.setReceiveTimeout(milliseconds: timeoutMilliseconds)
        try socket.connect(endpoint)
    }

    /// Sends a request and waits for its reply's `result`; throws on an error reply or a timeout.
    func call(_ action: Action, session: String? = nil, params: [String: JSONValue] = [:]) throws -> JSONValue {
        counter += 1
        let id = "b\(counter)"
        let request: JSONValue = ["v": 1, "id": .string(id), "action": .string(action.rawValue), "session": .string(session),
                                  "params": .object(params)]
        try socket.send([Data(), request.encoded()])
        while true {
            guard let frames = try socket.receive(), let payload = frames.last else {
                throw BenchError("no reply to \(action) in time")
            }
            let reply = try JSONValue.decode(payload)
            guard reply["id"]?.stringValue == id else { continue }
            guard reply["ok"]?.boolValue == true, let result = reply["result"] else {
                throw BenchError("\(action) failed: \(reply["error"]?.encodedString() ?? "?")")
            }
            return result
        }
    }

    func close() { socket.close() }
}

/// A benchmark step that could not be measured.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
