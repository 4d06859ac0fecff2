/// The `budget` object of an observation (protocol.md, section 7.2): what a session has used and has left.
public struct BudgetStatus: Sendable, Equatable {
    /// The keys of the `budget` object.
    public enum Key {
        public static let stepsUsed = "steps_used"
        public static let stepsLeft = "steps_left"
        public static let maxSteps = "max_steps"
        public static let timeLeft = "time_left_s"
        public static let timeLimit = "time_limit_s"
        public static let execTimeout = "exec_timeout_s"
    }

    public var stepsUsed: Int
    public var stepsLeft: Int
    public var maxSteps: Int
    /// Seconds left, rounded to milliseconds.
    public var timeLeftSeconds: Double
    public var timeLimitSeconds: Double
    public var execTimeoutSeconds: Double

    public init(stepsUsed: Int, stepsLeft: Int, maxSteps: Int, timeLeftSeconds: Double, timeLimitSeconds: Double,
                execTimeoutSeconds: Double) {
        self.stepsUsed = stepsUsed
        self.stepsLeft = stepsLeft
        self.maxSteps = maxSteps
        self.timeLeftSeconds = (timeLeftSeconds * 1000).rounded() / 1000
        self.timeLimitSeconds = timeLimitSeconds
        self.execTimeoutSeconds = execTimeoutSeconds
    }

    public var json: JSONValue {
        [
            Key.stepsUsed: .number(Double(stepsUsed)), Key.stepsLeft: .number(Double(stepsLeft)),
            Key.maxSteps: .number(Double(maxSteps)), Key.timeLeft: .number(timeLeftSeconds),
            Key.timeLimit: .number(timeLimitSeconds), Key.execTimeout: .number(execTimeoutSeconds),
        ]
    }
}
