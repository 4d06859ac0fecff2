import Foundation

/// Builds the reply frames of protocol v1.
public enum Reply {
    public static func success(id: String, result: JSONValue) -> JSONValue {
        ["v": 1, "id": .string(id), "ok": true, "result": result]
    }

    public static func failure(id: String?, error: EnvError) -> JSONValue {
        [
            "v": 1, "id": .string(id), "ok": false,
            "error": ["code": .string(error.code.rawValue), "message": .string(error.message)],
        ]
    }
}

/// A reply and its wire bytes, serialised once: the reply stored with a step is byte for byte the one sent.
public struct EncodedReply: Sendable {
    public let value: JSONValue
    public let bytes: Data

    public init(_ value: JSONValue) {
        self.value = value
        bytes = value.encoded()
    }

    public static func success(id: String, result: JSONValue) -> EncodedReply { EncodedReply(Reply.success(id: id, result: result)) }

    public static func failure(id: String?, error: EnvError) -> EncodedReply { EncodedReply(Reply.failure(id: id, error: error)) }
}
