/// The stages one candidate task passes through, in order (MLE-Smith's generate → verify → execute).
public enum GenerationStage: String, Sendable, CaseIterable, Codable {
    case brainstorm
    case design
    /// Deterministic gate after Design: prepare and metric run, the data is sound.
    case assertionsPre = "assertions_pre"
    /// Rewrites the package into the uniform format, keeping its logic.
    case refactor
    /// Full conformance after Refactor.
    case assertionsPost = "assertions_post"
    /// Leakage probes (and, with an LLM, a judgement of clarity and metric fitness).
    case review
    /// A ReAct agent plays the candidate in a private server.
    case executionValidation = "execution_validation"
    case publish

    /// The stage after this one (nil after publish).
    public var next: GenerationStage? {
        let all = Self.allCases
        guard let index = all.firstIndex(of: self), index + 1 < all.count else { return nil }
        return all[index + 1]
    }
}
