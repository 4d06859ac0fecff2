/// What an `EvalRunner` reports as runs start and end (with the progress after the change).
public enum EvalEvent: Sendable, Equatable {
    case started(EvalKey)
    case finished(EvalKey, EvalRunOutcome)
    case failed(EvalKey, error: String)

    public var key: EvalKey {
        switch self {
        case .started(let key), .finished(let key, _), .failed(let key, _): key
        }
    }

    /// One human line for the run (nil for a start).
    public var line: String? {
        switch self {
        case .started:
            return nil
        case .finished(let key, let outcome):
            func score(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "-" }
            return "finished \(key.runKey): best \(score(outcome.bestScore)) (random \(score(outcome.randomScore)), best known "
                + "\(score(outcome.bestKnown))), \(outcome.steps) steps, \(String(format: "%.1f", outcome.seconds))s, "
                + "\(outcome.promptTokens + outcome.completionTokens) tokens, end \(outcome.endReason ?? "-")"
        case .failed(let key, let error):
            return "FAILED \(key.runKey): \(error)"
        }
    }
}
