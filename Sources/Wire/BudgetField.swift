/// One numeric field of a reset `budget`, with its allowed range. This table is the one home of the
/// ranges: `Budget` and `RunLimits` read their fields through it, `serve` checks its flags against it,
/// and a test holds protocol/schemas/reset.params.json and protocol.md to the same numbers.
///
/// Every value a client sends passes `read` before any conversion, so no request can reach a trapping
/// `Int(Double)`: whole-number fields are whole and at most `maximum`, the others finite, above 0 and at
/// most `maximum`.
public struct BudgetField: Sendable, Equatable {
    /// The key inside `budget`.
    public let key: String
    /// A whole number (`minimum` 1) rather than any number above 0.
    public let isInteger: Bool
    /// The largest value accepted.
    public let maximum: Double

    public static let maxSteps = BudgetField(key: "max_steps", isInteger: true, maximum: 1_000_000)
    public static let timeLimit = BudgetField(key: "time_limit_s", isInteger: false, maximum: 31_536_000)  // 365 days
    public static let execTimeout = BudgetField(key: "exec_timeout_s", isInteger: false, maximum: 604_800)  // 7 days
    public static let cpuSeconds = BudgetField(key: "cpu_s", isInteger: false, maximum: 31_536_000)
    public static let memory = BudgetField(key: "memory_mb", isInteger: false, maximum: 16_777_216)  // 16 TiB
    public static let processes = BudgetField(key: "processes", isInteger: true, maximum: 1_000_000)
    public static let fileSize = BudgetField(key: "file_mb", isInteger: false, maximum: 16_777_216)
    public static let disk = BudgetField(key: "disk_mb", isInteger: false, maximum: 16_777_216)
    public static let output = BudgetField(key: "output_mb", isInteger: false, maximum: 1_048_576)  // 1 TiB

    /// Every field, in the order protocol.md lists them.
    public static let all: [BudgetField] = [
        maxSteps, timeLimit, execTimeout, memory, cpuSeconds, processes, fileSize, disk, output,
    ]

    /// The range as people read it: `1..1000000` or `(0, 604800]`.
    public var rangeDescription: String {
        isInteger ? "a whole number from 1 to \(Int(maximum))" : "a number above 0 and at most \(Int(maximum))"
    }

    /// Is `value` inside the range?
    public func accepts(_ value: Double) -> Bool {
        guard value.isFinite, value <= maximum else { return false }
        return isInteger ? value >= 1 && value == value.rounded() : value > 0
    }

    /// The field's value in a budget object: nil when absent or null, else a number inside the range.
    /// Anything else is BAD_REQUEST naming the field and its range.
    public func read(_ budget: [String: JSONValue]) throws -> Double? {
        guard let field = budget[key], !field.isNull else { return nil }
        guard let number = field.numberValue, accepts(number) else {
            throw EnvError(.badRequest, "budget.\(key) must be \(rangeDescription); got \(field.encodedString())")
        }
        return number
    }

    /// A value this field accepts as a whole number of `scale` units (bytes of a MiB figure, say),
    /// never less than 1. Only called with values `accepts` let through, so it cannot overflow.
    public static func whole(_ value: Double, scale: Double = 1) -> Int {
        max(1, Int((value * scale).rounded(.down)))
    }
}
