import Foundation
import Wire

/// One candidate task: the folder its package is written in and what it proposes.
public struct Candidate: Sendable {
    public var id: String
    public var folder: URL
    public var objective: String?
    public var metric: String?
    /// The proposal or the designer's summary, stored with the brainstorm transition.
    public var summary: JSONValue

    public init(id: String, folder: URL, objective: String?, metric: String?, summary: JSONValue) {
        self.id = id
        self.folder = folder
        self.objective = objective
        self.metric = metric
        self.summary = summary
    }
}

/// What a brainstorm made of one dataset.
public struct Brainstorm: Sendable {
    public var candidates: [Candidate]
    /// Formulations considered and dropped, with why.
    public var skipped: JSONValue
    /// Why there is no candidate (nil when there are some).
    public var failure: String?
    public var seconds: Double
    /// The brainstorming agent's run (tokens, steps), when an LLM brainstormed.
    public var agent: JSONValue

    public init(candidates: [Candidate], skipped: JSONValue = .array([]), failure: String? = nil, seconds: Double, agent: JSONValue = .null) {
        self.candidates = candidates
        self.skipped = skipped
        self.failure = failure
        self.seconds = seconds
        self.agent = agent
    }
}

/// Who writes candidates: proposes them from a dataset, designs each package, refactors it into the
/// uniform format and (optionally) judges it — the built-in designer or the LLM agents. The pipeline
/// (`TaskGenerator`) runs the same checks on both.
public protocol CandidateAuthor: Sendable {
    /// Design and Refactor attempts per candidate.
    var budget: CandidatePipeline.Budget { get }
    /// Proposes (and the built-in designer also writes) candidates from `dataset` into `folder`.
    func brainstorm(_ dataset: URL, name: String, into folder: URL) async -> Brainstorm
    /// Writes the candidate's package; `defects` are what the previous attempt failed.
    func design(_ candidate: Candidate, attempt: Int, defects: [Defect]) async -> StageResult
    /// Rewrites the package into the uniform format; `defects` as for `design`.
    func refactor(_ candidate: Candidate, attempt: Int, defects: [Defect]) async -> StageResult
    /// An LLM's review of the package after the deterministic probes passed (nil: no such review);
    /// `attempt` counts the candidate's reviews.
    func judge(_ candidate: Candidate, attempt: Int) async -> StageResult?
}
