/// The actions of protocol v1 (protocol.md, section 4), named on the wire by their raw values.
public enum Action: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case health
    case listTasks = "list_tasks"
    case reset
    case requestInfo = "request_info"
    case validateCode = "validate_code"
    case executeCode = "execute_code"
    case evaluate
    case getHistory = "get_history"
    case close
    case cancel
    /// Publishes a task folder to the running server (protocol.md, section 4.10). An admin action: the
    /// public endpoint refuses it with FORBIDDEN; only the admin endpoint runs it.
    case registerTask = "register_task"

    /// The wire name, so interpolating an action writes what the protocol calls it.
    public var description: String { rawValue }

    /// Spends one step of the session's budget (protocol.md, section 5).
    public var spendsStep: Bool {
        switch self {
        case .requestInfo, .validateCode, .executeCode, .evaluate: true
        default: false
        }
    }

    /// Served only on the server's admin endpoint (protocol.md, section 4.10).
    public var isAdminOnly: Bool { self == .registerTask }

    /// Runs agent code in the session's sandbox, so its reply may take as long as the run's limit.
    public var runsCode: Bool { self == .validateCode || self == .executeCode }

    /// The action named `name`, or UNKNOWN_ACTION listing the known ones.
    public static func named(_ name: String) throws(EnvError) -> Action {
        guard let action = Action(rawValue: name) else {
            throw EnvError(.unknownAction, "unknown action '\(name)'; known: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return action
    }
}
