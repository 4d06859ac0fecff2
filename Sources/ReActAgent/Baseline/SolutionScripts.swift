import Wire

/// The Python scripts the baseline policy runs, rendered from `Resources/Solutions/*.py`.
public struct SolutionScripts: Sendable {
    /// The model families the baseline tries, weakest-risk first.
    public enum Variant: String, Sendable, CaseIterable {
        /// Logistic or ridge regression on imputed, scaled numbers and one-hot categoricals; TF-IDF word n-grams for text.
        case linear
        /// Histogram gradient boosting with native categoricals; for text, word and character TF-IDF with a linear model.
        case boosting
        /// The class prior or the median: always valid, used only when both real variants failed.
        case fallback
    }

    let baseline: Template
    let randomReference: Template

    public init(resources: AgentResources) throws(AgentResourceError) {
        baseline = Template(name: "Solutions/baseline_solution.py", text: try resources.text("Solutions/baseline_solution.py"))
        randomReference = Template(name: "Solutions/random_reference.py", text: try resources.text("Solutions/random_reference.py"))
    }

    /// The baseline solution for `variant`, configured from the profile.
    public func solution(_ variant: Variant, profile: TaskProfile) throws(AgentResourceError) -> String {
        let config: JSONValue = [
            "variant": .string(variant.rawValue), "data_path": .string(profile.dataPath), "metric": .string(profile.metric),
            "higher_is_better": profile.higherIsBetter.map { .bool($0) } ?? .null,
            "task_type": .string(profile.taskType), "modality": .string(profile.modality),
            "targets": .array(profile.targets.map { .string($0) }),
        ]
        return try baseline.render(["VARIANT": variant.rawValue, "CONFIG": Self.pythonString(config.encodedString())])
    }

    /// The script that copies the sample submission to submission.csv (the random reference).
    public func randomReferenceScript(dataPath: String = "/data") throws(AgentResourceError) -> String {
        try randomReference.render(["DATA": Self.pythonString(dataPath)])
    }

    /// A Python string literal for `text` (a JSON string literal is one: same escapes).
    static func pythonString(_ text: String) -> String { JSONValue.string(text).encodedString() }
}
