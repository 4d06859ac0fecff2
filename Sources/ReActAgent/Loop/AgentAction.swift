import Wire

/// One action the policy chooses: a protocol v1 step action, or `finish`.
public enum AgentAction: Sendable, Equatable {
    case requestInfo(infoType: String)
    case validateCode(code: String)
    case executeCode(code: String)
    /// Grade a CSV file in the workspace (`path`) or CSV text (`submission`).
    case evaluate(EvaluateTarget)
    case finish

    /// What `evaluate` grades.
    public enum EvaluateTarget: Sendable, Equatable {
        case path(String)
        case submission(String)
    }

    /// The name of the action that ends the episode; the others are protocol actions.
    public static let finishName = "finish"
    /// The action names a reply may use.
    public static let names = [Action.requestInfo, .validateCode, .executeCode, .evaluate].map(\.rawValue) + [finishName]
    /// The info types the agent may ask for (`all` is left out: it repeats the others at length).
    public static let infoTypes = [
        "overview", "data_structure", "sample_submission", "data_path", "output_path", "name", "metadata", "metric", "budget",
    ]

    /// The protocol action this sends (nil for `finish`, which the agent keeps to itself).
    public var protocolAction: Action? {
        switch self {
        case .requestInfo: .requestInfo
        case .validateCode: .validateCode
        case .executeCode: .executeCode
        case .evaluate: .evaluate
        case .finish: nil
        }
    }

    public var name: String { protocolAction?.rawValue ?? Self.finishName }

    /// The protocol params of the action.
    public var params: [String: JSONValue] {
        switch self {
        case .requestInfo(let infoType): ["info_type": .string(infoType)]
        case .validateCode(let code), .executeCode(let code): ["code": .string(code)]
        case .evaluate(.path(let path)): ["path": .string(path)]
        case .evaluate(.submission(let csv)): ["submission": .string(csv)]
        case .finish: [:]
        }
    }

    /// The action as the reply format writes it: `{"action": ..., "params": {...}}`.
    public var json: JSONValue { ["action": .string(name), "params": .object(params)] }

    /// True for actions that run agent code.
    public var runsCode: Bool { protocolAction?.runsCode ?? false }
}
