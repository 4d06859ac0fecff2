import Wire

/// One entry of `list_tasks`.
public struct TaskListing: Sendable, Equatable {
    public var id: String
    public var title: String
    public var metric: String
    public var higherIsBetter: Bool
    public var ready: Bool

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.id = id
        title = json["title"]?.stringValue ?? id
        metric = json["metric"]?.stringValue ?? "unknown"
        higherIsBetter = json["higher_is_better"]?.boolValue ?? true
        ready = json["ready"]?.boolValue ?? true
    }
}
