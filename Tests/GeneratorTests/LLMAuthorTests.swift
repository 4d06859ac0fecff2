import EnvTesting
import Foundation
import ReActAgent
import Testing
import Wire

@testable import Generator

/// `LLMAuthor` end to end against a scripted model: the brainstormer's proposals become candidates with
/// their own copy of the data, the designer's package is stamped as LLM-made, the reviewer's verdict
/// becomes defects, and every invocation is stored.
@Suite("LLMAuthor")
struct LLMAuthorTests {
    /// A generation folder, a dataset folder and a store, all under one temporary folder.
    struct Setup {
        let folder: TemporaryDirectory
        let store: GenerationStore
        var dataset: URL { folder.url.appending(path: "datasets/houses") }
        var generation: URL { folder.url.appending(path: "gen") }

        init() throws {
            folder = try TemporaryDirectory("llm-author")
            try FileManager.default.createDirectory(at: folder.url.appending(path: "datasets/houses"), withIntermediateDirectories: true)
            try "size,price\n50,100\n80,180\n".write(to: folder.url.appending(path: "datasets/houses/houses.csv"), atomically: true,
                                                     encoding: .utf8)
            store = try GenerationStore(path: folder.url.appending(path: "generate.sqlite").path)
        }

        func author(_ model: ScriptedChatModel, maxSteps: Int = 6, reviews: Bool = true) throws -> LLMAuthor {
            LLMAuthor(agent: ToolAgent(model: model, settings: .init(maxSteps: maxSteps)),
                      prompts: try AgentPrompts(resources: AgentResources.locate()), shell: AgentFixtures.unprobedShell,
                      venv: RepositoryPaths.venv, runtime: RepositoryPaths.pythonRuntime, store: store, runID: "run-1", reviews: reviews)
        }

        /// A candidate folder holding a complete package.
        func candidate(_ id: String = "houses-price") throws -> Candidate {
            let folder = generation.appending(path: id)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for name in LLMAuthor.packageFiles {
                try (name == "task.json" ? #"{"title": "Prices"}"# : "# \(name)\n").write(to: folder.appending(path: name), atomically: true,
                                                                                         encoding: .utf8)
            }
            return Candidate(id: id, folder: folder, objective: "regression", metric: "rmse", summary: ["id": "price", "target": "price"])
        }
    }

    static func proposal(_ id: String, objective: String = "regression") -> String {
        JSONValue.object(["id": .string(id), "title": "t", "overview": "o", "target": "price", "objective": .string(objective),
                          "metric": "rmse"]).encodedString()
    }

    @Test func brainstormedProposalsBecomeCandidatesWithTheirOwnData() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let model = ScriptedChatModel([
            ScriptedChatModel.call("read_file", ["path": .string(setup.dataset.appending(path: "houses.csv").path)], id: "r"),
            ScriptedChatModel.call("write_file", ["path": "proposals/a.json", "content": .string(Self.proposal("price"))], id: "w1"),
            ScriptedChatModel.call("write_file", ["path": "proposals/b.json", "content": .string(Self.proposal("houses-cheap", objective: "binary"))],
                                   id: "w2"),
            ScriptedChatModel.call("finish", ["candidates": ["proposals/a.json", "proposals/b.json"]], id: "f"),
        ])
        let author = try setup.author(model)
        let brainstorm = await author.brainstorm(setup.dataset, name: "Houses", into: setup.generation)

        #expect(brainstorm.failure == nil)
        #expect(brainstorm.candidates.map(\.id) == ["houses-price", "houses-cheap"])
        #expect(brainstorm.candidates.map(\.objective) == ["regression", "binary"])
        for candidate in brainstorm.candidates {
            #expect(candidate.folder == setup.generation.appending(path: candidate.id))
            #expect(FileManager.default.fileExists(atPath: candidate.folder.appending(path: "raw/houses.csv").path))
        }
        #expect(brainstorm.candidates.first?.summary["file"] == "proposals/a.json")
        #expect(brainstorm.agent["end"] == "finished" && brainstorm.agent["role"] == "brainstormer")
        #expect(model.requests[1].messages[3].content.contains("size,price"), "the brainstormer read the dataset")
        let first = model.requests[0].messages.map(\.content).joined()
        #expect(first.contains(setup.dataset.path) && first.contains(setup.generation.appending(path: "brainstorm").path))
        let runs = try await setup.store.agentRuns(run: "run-1")
        #expect(runs.map(\.invocation) == ["Houses/brainstormer/1"])
        #expect(runs.first?.end == "finished" && runs.first?.steps == 4)
    }

    @Test
    func twoProposalsNeverShareACandidateId() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let model = ScriptedChatModel([
            ScriptedChatModel.call("write_file", ["path": "a.json", "content": .string(Self.proposal("price"))]),
            ScriptedChatModel.call("write_file", ["path": "b.json", "content": .string(Self.proposal("houses-price"))]),
            ScriptedChatModel.call("finish", ["candidates": ["a.json", "b.json"]]),
            ScriptedChatModel.call("write_file", ["path": "b.json", "content": .string(Self.proposal("houses-size"))]),
            ScriptedChatModel.call("finish", ["candidates": ["a.json", "b.json"]]),
        ])
        let author = try setup.author(model)
        let brainstorm = await author.brainstorm(setup.dataset, name: "houses", into: setup.generation)
        let ids = brainstorm.candidates.map(\.id)
        #expect(Set(ids).count == ids.count, "\(ids)")
    }

    @Test func aBrainstormWhoseModelFailsHasNoCandidatesAndSaysWhy() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let model = ScriptedChatModel([.failure(.transport(message: "connection refused", attempts: 3))])
        let author = try setup.author(model)
        let brainstorm = await author.brainstorm(setup.dataset, name: "houses", into: setup.generation)
        #expect(brainstorm.candidates.isEmpty)
        #expect(brainstorm.failure == "the brainstormer's model failed: no response after 3 attempt(s): connection refused")
        #expect(try await setup.store.agentRuns(run: "run-1").first?.end == "model_error")
    }

    @Test func theDesignersPackageIsStampedAsLLMMadeAndItSeesTheDefectsToMend() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        var candidate = try setup.candidate()
        try FileManager.default.removeItem(at: candidate.folder.appending(path: "task.json"))
        candidate.summary = ["id": "price", "overview": "PROPOSAL-TEXT"]
        let model = ScriptedChatModel([
            ScriptedChatModel.call("write_file", ["path": "task.json", "content": #"{"title": "Prices", "generated": {"designer": "builtin"}}"#]),
            ScriptedChatModel.call("finish", ["summary": "wrote task.json, ran prepare.py"]),
        ])
        let defect = Defect(stage: .assertionsPre, check: "prepare_runs", message: "prepare.py crashed on line 4")
        let author = try setup.author(model)
        let result = await author.design(candidate, attempt: 2, defects: [defect])

        #expect(result.outcome == .passed)
        #expect(result.detail["summary"] == "wrote task.json, ran prepare.py")
        let manifest = try JSONValue.decode(Data(contentsOf: candidate.folder.appending(path: "task.json")))
        #expect(manifest["id"] == "houses-price")
        #expect(manifest["generated"] == ["designer": "llm", "run_id": "run-1", "model": "scripted-model"])
        let prompt = model.requests[0].messages.map(\.content).joined()
        #expect(prompt.contains("PROPOSAL-TEXT") && prompt.contains("prepare.py crashed on line 4"))
        #expect(try await setup.store.agentRuns(run: "run-1").map(\.invocation) == ["houses-price/designer/2"])
    }

    @Test func aDesignerThatNeverHandsInAPackageFailsTheStage() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let candidate = try setup.candidate()
        try FileManager.default.removeItem(at: candidate.folder.appending(path: "metric.py"))
        let model = ScriptedChatModel(Array(repeating: ScriptedChatModel.call("finish", ["summary": "done"]), count: 2))
        let author = try setup.author(model, maxSteps: 2)
        let result = await author.refactor(candidate, attempt: 1, defects: [])
        guard case .failed(let defects) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(defects.map(\.stage) == [.refactor])
        #expect(defects.map(\.check) == ["refactor_step_budget"])
        #expect(result.detail["agent"]?["steps"] == 2)
        #expect(model.requests[1].messages.last?.content.contains("the package lacks metric.py") == true)
    }

    @Test func theReviewersVerdictBecomesDefects() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let candidate = try setup.candidate()
        let verdict: JSONValue = [
            "verdict": "fail", "scores": ["clarity": 4, "metric_fitness": 1, "leakage": 5, "shortcuts": 4],
            "issues": [["severity": "major", "file": "metric.py", "evidence": "return -rmse", "message": "the sign is wrong"]],
        ]
        let model = ScriptedChatModel([
            ScriptedChatModel.call("write_file", ["path": "planted.txt", "content": "x"], id: "w"),
            ScriptedChatModel.call("read_file", ["path": "metric.py"], id: "r"),
            ScriptedChatModel.call("finish", verdict, id: "f"),
        ])
        let author = try setup.author(model)
        let result = try #require(await author.judge(candidate, attempt: 1))

        guard case .failed(let defects) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(defects.map(\.check) == ["llm_review", "llm_review_metric_fitness"])
        #expect(result.detail["judgement"] == verdict)
        #expect(!FileManager.default.fileExists(atPath: candidate.folder.appending(path: "planted.txt").path), "the reviewer writes nothing")
        guard case .tools(let tools, _) = model.requests[0].constraint else {
            Issue.record("the reviewer is offered tools")
            return
        }
        #expect(tools.compactMap { $0["function"]?["name"]?.stringValue } == ["list_directory_structure", "read_file", "bash", "finish"])
    }

    @Test func noReviewIsNilAndAFailedReviewerIsNamedAsSuch() async throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let candidate = try setup.candidate()
        let silent = ScriptedChatModel([])
        let noReviews = try setup.author(silent, reviews: false)
        #expect(await noReviews.judge(candidate, attempt: 1) == nil)
        #expect(silent.requests.isEmpty)

        let failing = ScriptedChatModel([.failure(.http(status: 429, message: "slow down", attempts: 5))])
        let reviewer = try setup.author(failing)
        let result = try #require(await reviewer.judge(candidate, attempt: 1))
        guard case .failed(let defects) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(defects.map(\.check) == ["reviewer_model_error"], "a provider failure is not a bad task")
        #expect(defects.first?.message.contains("HTTP 429") == true)
    }
}
