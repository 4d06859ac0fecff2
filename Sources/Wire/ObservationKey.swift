/// The top-level keys of an observation (protocol.md section 7; schemas/observation.json): MLE-Dojo's
/// keys, so its agents work unchanged, plus ours. The server builds with them and clients read with them.
public enum ObservationKey: String, Sendable, CaseIterable {
    case action
    case actionStatus = "action_status"
    case feedback
    case currentRawScore = "current_raw_score"
    case currentPositionScore = "current_position_score"
    case bestRawScore = "best_raw_score"
    case bestPositionScore = "best_position_score"
    case historySummary = "history_summary"
    case reward
    case terminated
    case truncated
    case budget
    case result
    /// Only on `close`: the final grade.
    case final

    /// Every observation carries these (`final` only on close).
    public static var required: [ObservationKey] { allCases.filter { $0 != .final } }
}

extension JSONValue {
    /// The value under an observation key.
    public subscript(key: ObservationKey) -> JSONValue? { self[key.rawValue] }
}
