import Foundation

/// reset's `invalid_penalty`: what a submission the grader refuses costs (protocol.md section 5).
public enum InvalidPenalty {
    /// The penalty's bounds; 0 (the default) leaves rewards as they were.
    public static let range: ClosedRange<Double> = 0...1

    /// The penalty a reset asks for: absent or null is 0; anything but a number in 0...1 is BAD_REQUEST.
    public static func parse(_ value: JSONValue?) throws(EnvError) -> Double {
        guard let value, !value.isNull else { return 0 }
        guard let penalty = value.numberValue, penalty.isFinite, range.contains(penalty) else {
            throw EnvError(.badRequest, "parameter 'invalid_penalty' must be a number from 0 to 1; got \(value.encodedString().prefix(64))")
        }
        return penalty
    }
}
