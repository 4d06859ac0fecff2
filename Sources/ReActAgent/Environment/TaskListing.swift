import Wire

/// One entry of `list_tasks`.
public struct TaskListing: Sendable, Equatable {
    public var id: String
    public var title: String
    public var metric: String
    public var higherIsBetter: Bool
    public var ready: Bool
    /// Where the task comes from (`mledojo`, `dojo`, `smith`, ...); empty when the server does not say.
    public var source: String
    /// tabular, text, time_series, ...; empty when the server does not say.
    public var modality: String

    public init(id: String, title: String? = nil, metric: String = "unknown", higherIsBetter: Bool = true, ready: Bool = true,
                source: String = "", modality: String = "") {
        self.id = id
        self.title = title ?? id
        self.metric = metric
        self.higherIsBetter = higherIsBetter
        self.ready = ready
        self.source = source
        self.modality = modality
    }

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.id = id
        title = json["title"]?.stringValue ?? id
        metric = json["metric"]?.stringValue ?? "unknown"
        higherIsBetter = json["higher_is_better"]?.boolValue ?? true
        ready = json["ready"]?.boolValue ?? true
        source = json["source"]?.stringValue ?? ""
        modality = json["modality"]?.stringValue ?? ""
    }
}
