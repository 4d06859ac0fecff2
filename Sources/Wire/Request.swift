import Foundation

/// One protocol v1 request, parsed and checked for the envelope's required fields.
public struct Request: Sendable {
    public let id: String
    public let action: Action
    public let session: String?
    public let params: [String: JSONValue]

    public init(id: String, action: Action, session: String? = nil, params: [String: JSONValue] = [:]) {
        self.id = id
        self.action = action
        self.session = session
        self.params = params
    }

    /// Parses a frame. On failure the error carries the request id when one could be read.
    public static func parse(_ frame: Data) -> Result<Request, RequestParseError> {
        let json: JSONValue
        do {
            json = try JSONValue.decode(frame)
        } catch {
            // Say where and why (a nesting limit, a bad escape, invalid UTF-8), not only that it failed.
            return .failure(RequestParseError(id: nil, error: EnvError(.badRequest, "the frame is not valid UTF-8 JSON: \(error)")))
        }
        guard case .object(let object) = json else {
            return .failure(RequestParseError(id: nil, error: EnvError(.badRequest, "the request must be a JSON object")))
        }
        let id = object["id"]?.stringValue
        func fail(_ code: ErrorCode, _ message: String) -> Result<Request, RequestParseError> {
            .failure(RequestParseError(id: id, error: EnvError(code, message)))
        }
        if let version = object["v"], version != .number(1) {
            return fail(.unsupportedVersion, "protocol version \(version.encodedString()) is not supported; this server speaks v 1")
        }
        guard let id else {
            return fail(.badRequest, object["id"] == nil ? "missing field 'id' (a string)" : "field 'id' must be a string")
        }
        if let problem = Identifier.problem(in: id, field: "field 'id'") { return fail(problem.code, problem.message) }
        guard let actionName = object["action"]?.stringValue, !actionName.isEmpty else {
            return fail(.badRequest, "missing field 'action' (a non-empty string)")
        }
        var session: String?
        if let value = object["session"], !value.isNull {
            guard let text = value.stringValue else { return fail(.badRequest, "field 'session' must be a string") }
            if let problem = Identifier.problem(in: text, field: "field 'session'") { return fail(problem.code, problem.message) }
            session = text
        }
        var params: [String: JSONValue] = [:]
        if let value = object["params"], !value.isNull {
            guard let dictionary = value.objectValue else { return fail(.badRequest, "field 'params' must be an object") }
            params = dictionary
        }
        // Checked last: a request with another envelope fault as well is answered BAD_REQUEST for that one.
        let action: Action
        do { action = try Action.named(actionName) } catch { return fail(error.code, error.message) }
        return .success(Request(id: id, action: action, session: session, params: params))
    }
}

/// Why a frame could not become a `Request`, with the id to answer under if it was readable.
public struct RequestParseError: Error, Sendable {
    public let id: String?
    public let error: EnvError
}

extension Request {
    /// A required string parameter.
    public func string(_ name: String) throws -> String {
        guard let value = params[name] else { throw EnvError(.badRequest, "missing parameter '\(name)' (a string)") }
        guard let text = value.stringValue else { throw EnvError(.badRequest, "parameter '\(name)' must be a string") }
        return text
    }

    /// An optional string parameter (absent or null gives nil).
    public func optionalString(_ name: String) throws -> String? {
        guard let value = params[name], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw EnvError(.badRequest, "parameter '\(name)' must be a string") }
        return text
    }

    /// An optional boolean parameter (absent or null gives nil).
    public func optionalBool(_ name: String) throws -> Bool? {
        guard let value = params[name], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw EnvError(.badRequest, "parameter '\(name)' must be true or false") }
        return flag
    }

    /// The session id, required for session actions.
    public func requireSession() throws -> String {
        guard let session else { throw EnvError(.badRequest, "action '\(action)' needs a 'session' field") }
        return session
    }
}
