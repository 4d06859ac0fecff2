import Foundation
import Wire

/// What the baseline policy learned about a task from `request_info`: enough to pick and configure
/// its solution script (the script itself reads the data and decides the details).
public struct TaskProfile: Sendable, Equatable {
    public var dataPath = "/data"
    public var metric = ""
    public var higherIsBetter: Bool?
    public var taskType = ""
    public var modality = ""
    public var referenceRandom: Double?
    public var referenceBestKnown: Double?
    /// The sample submission's columns (the id first, then the targets).
    public var sampleColumns: [String] = []
    /// The first line of the description (its title), for the reasoning text.
    public var headline = ""

    public init() {}

    /// Takes what an info observation says.
    public mutating func absorb(infoType: String, content: JSONValue) {
        switch infoType {
        case "overview":
            headline = content.stringValue?.split(separator: "\n").first.map {
                String($0).trimmingCharacters(in: CharacterSet(charactersIn: "# "))
            } ?? headline
        case "data_path":
            if let path = content.stringValue, path.hasPrefix("/") { dataPath = path }
        case "sample_submission":
            if let text = content.stringValue { sampleColumns = Self.header(ofSample: text) }
        case "metric":
            metric = content["name"]?.stringValue ?? metric
            higherIsBetter = content["higher_is_better"]?.boolValue ?? higherIsBetter
            referenceRandom = content["reference_scores"]?["random"]?.numberValue ?? referenceRandom
            referenceBestKnown = content["reference_scores"]?["best_known"]?.numberValue ?? referenceBestKnown
        case "metadata":
            taskType = content["task_type"]?.stringValue ?? taskType
            modality = content["modality"]?.stringValue ?? modality
            if let path = content["data_path"]?.stringValue, path.hasPrefix("/") { dataPath = path }
        default:
            break
        }
    }

    /// The header of the sample submission as `request_info("sample_submission")` shows it (a title
    /// line ending in ':' may come first).
    static func header(ofSample text: String) -> [String] {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let line = lines.first(where: { !$0.hasSuffix(":") }) else { return [] }
        return line.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
    }

    /// The target columns: every sample column after the id.
    public var targets: [String] { Array(sampleColumns.dropFirst()) }

    /// Free text is worth a TF-IDF model.
    public var isText: Bool { modality.lowercased().contains("text") || modality.lowercased() == "nlp" }
}
