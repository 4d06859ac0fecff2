/// The limits of one episode: steps, wall clock, and the wall clock of each code run. A client sends it
/// as the `budget` of a reset (`json`); the server reads it back with `parse`.
public struct Budget: Sendable, Codable, Equatable {
    public var maxSteps: Int
    public var timeLimitSeconds: Double
    public var execTimeoutSeconds: Double

    /// The budget of a reset that names none (protocol.md, section 4.3).
    public static let serverDefault = Budget(maxSteps: 50, timeLimitSeconds: 3600, execTimeoutSeconds: 600)

    public init(maxSteps: Int, timeLimitSeconds: Double, execTimeoutSeconds: Double) {
        self.maxSteps = maxSteps
        self.timeLimitSeconds = timeLimitSeconds
        self.execTimeoutSeconds = execTimeoutSeconds
    }

    /// Reads a `budget` object of a reset request over `defaults`; rejects wrong types and values outside
    /// each field's range (`BudgetField`).
    public static func parse(_ value: JSONValue?, defaults: Budget) throws -> Budget {
        guard let value, !value.isNull else { return defaults }
        guard let object = value.objectValue else { throw EnvError(.badRequest, "'budget' must be an object") }
        var budget = defaults
        if let steps = try BudgetField.maxSteps.read(object) { budget.maxSteps = BudgetField.whole(steps) }
        if let seconds = try BudgetField.timeLimit.read(object) { budget.timeLimitSeconds = seconds }
        if let seconds = try BudgetField.execTimeout.read(object) { budget.execTimeoutSeconds = seconds }
        return budget
    }

    /// The `budget` object of a reset request.
    public var json: JSONValue {
        [
            BudgetField.maxSteps.key: .number(Double(maxSteps)), BudgetField.timeLimit.key: .number(timeLimitSeconds),
            BudgetField.execTimeout.key: .number(execTimeoutSeconds),
        ]
    }
}
