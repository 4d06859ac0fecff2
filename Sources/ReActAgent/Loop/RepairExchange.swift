import Wire

/// A reply that failed to parse and the repair prompt sent after it.
public struct RepairExchange: Sendable, Equatable {
    public var reply: String
    public var problem: String
    public var repairPrompt: String

    public var json: JSONValue { ["reply": .string(reply), "problem": .string(problem), "repair_prompt": .string(repairPrompt)] }
}
