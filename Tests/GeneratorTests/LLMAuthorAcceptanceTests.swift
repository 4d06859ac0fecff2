import EnvTesting
import Foundation
import Testing
import Wire

@testable import Generator

/// What `LLMAuthor` accepts from the agents' `finish`: proposal files, written packages (stamped as
/// LLM-made) and review verdicts, and the defects an accepted verdict yields.
@Suite("LLMAuthor acceptance")
struct LLMAuthorAcceptanceTests {
    static let proposal: [String: JSONValue] = [
        "id": "price-regression", "title": "Predict the price", "overview": "Houses and their prices.", "target": "price",
        "objective": "regression", "metric": "rmse",
    ]

    static func writeJSON(_ value: JSONValue, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(value.encodedString().utf8).write(to: url)
    }

    static func proposal(_ changes: [String: JSONValue]) -> JSONValue {
        .object(proposal.merging(changes) { $1 })
    }

    static func refusal(_ result: Result<JSONValue, ToolArgumentError>) -> String? {
        if case .failure(let problem) = result { return problem.message }
        return nil
    }

    // MARK: Proposals

    @Test func aGoodSetOfProposalsIsReturnedWithTheirFiles() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        try Self.writeJSON(Self.proposal([:]), to: folder.url.appending(path: "proposals/a.json"))
        try Self.writeJSON(Self.proposal(["id": "price-bucket", "objective": "multiclass"]), to: folder.url.appending(path: "proposals/b.json"))
        let absolute = folder.url.appending(path: "proposals/b.json").path
        let result = LLMAuthor.acceptProposals(["candidates": ["proposals/a.json", .string(absolute)]], in: folder.url, limit: 3)
        let proposals = try result.get()["candidates"]?.arrayValue ?? []
        #expect(proposals.map { $0["id"] } == ["price-regression", "price-bucket"])
        #expect(proposals.map { $0["file"] } == ["proposals/a.json", .string(absolute)])
        #expect(proposals[1]["objective"] == "multiclass" && proposals[0]["metric"] == "rmse")
    }

    @Test func proposalsAreRefusedWithTheReason() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        let work = folder.url.appending(path: "work")
        try Self.writeJSON(Self.proposal([:]), to: work.appending(path: "good.json"))
        try Self.writeJSON(Self.proposal([:]), to: work.appending(path: "same-id.json"))
        try Self.writeJSON(Self.proposal(["metric": "", "target": .null]), to: work.appending(path: "lacking.json"))
        try Self.writeJSON(Self.proposal(["id": "Price_Regression"]), to: work.appending(path: "bad-slug.json"))
        try Self.writeJSON(Self.proposal(["id": "x"]), to: work.appending(path: "short-slug.json"))
        try Self.writeJSON(["a", "b"], to: work.appending(path: "array.json"))
        try "not json {".write(to: work.appending(path: "text.json"), atomically: true, encoding: .utf8)
        try Self.writeJSON(Self.proposal([:]), to: folder.url.appending(path: "outside.json"))
        try FileManager.default.createSymbolicLink(at: work.appending(path: "link.json"), withDestinationURL: folder.url.appending(path: "outside.json"))

        let cases: [(JSONValue, String)] = [
            ([:], "\"candidates\" must list"),
            (["candidates": []], "\"candidates\" must list"),
            (["candidates": "good.json"], "\"candidates\" must list"),
            (["candidates": ["good.json", "same-id.json", "good.json", "lacking.json"]], "at most 3 tasks, not 4"),
            (["candidates": ["lacking.json"]], "lacking.json lacks target, metric"),
            (["candidates": ["bad-slug.json"]], "id 'Price_Regression' must be lower-case"),
            (["candidates": ["short-slug.json"]], "id 'x' must be lower-case"),
            (["candidates": ["good.json", "same-id.json"]], "two proposals share the id 'price-regression'"),
            (["candidates": ["array.json"]], "array.json is not a JSON object"),
            (["candidates": ["text.json"]], "text.json is not a JSON object"),
            (["candidates": ["missing.json"]], "there is no file missing.json"),
            (["candidates": ["../outside.json"]], "../outside.json is not in your work folder"),
            (["candidates": [.string(folder.url.appending(path: "outside.json").path)]], "is not in your work folder"),
            (["candidates": ["link.json"]], "link.json is not in your work folder"),
        ]
        for (arguments, reason) in cases {
            let message = Self.refusal(LLMAuthor.acceptProposals(arguments, in: work, limit: 3))
            #expect(message?.contains(reason) == true, "\(arguments.encodedString()): \(message ?? "accepted")")
        }
    }

    @Test
    func aProposalIdWithATrailingNewlineIsRefused() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        try Self.writeJSON(Self.proposal(["id": "price-regression\n"]), to: folder.url.appending(path: "p.json"))
        let message = Self.refusal(LLMAuthor.acceptProposals(["candidates": ["p.json"]], in: folder.url, limit: 3))
        #expect(message?.contains("must be lower-case letters, digits and hyphens") == true, "\(message ?? "accepted")")
    }

    // MARK: Packages

    static func package(in folder: URL, manifest: String? = #"{"title": "Prices", "generated": {"designer": "builtin"}}"#,
                        skipping: Set<String> = []) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in LLMAuthor.packageFiles where !skipping.contains(name) {
            let text = name == "task.json" ? (manifest ?? "{}") : "# \(name)\n"
            try text.write(to: folder.appending(path: name), atomically: true, encoding: .utf8)
        }
    }

    static let stamp: JSONValue = ["designer": "llm", "run_id": "run-1", "model": "scripted-model"]

    @Test func anAcceptedPackageIsStampedWithItsIdAndGenerated() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        try Self.package(in: folder.url)
        let result = LLMAuthor.acceptPackage(["summary": "built and ran prepare.py"], in: folder.url, id: "houses-price", stamp: Self.stamp)
        #expect(try result.get() == ["summary": "built and ran prepare.py"])
        let manifest = try JSONValue.decode(Data(contentsOf: folder.url.appending(path: "task.json")))
        #expect(manifest["id"] == "houses-price")
        #expect(manifest["generated"] == Self.stamp, "whatever the agent wrote in generated is replaced")
        #expect(manifest["title"] == "Prices", "the agent's other fields stay")
    }

    @Test func packagesAreRefusedWithTheReason() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        let lacking = folder.url.appending(path: "lacking"), array = folder.url.appending(path: "array")
        let broken = folder.url.appending(path: "broken"), good = folder.url.appending(path: "good")
        try Self.package(in: lacking, skipping: ["metric.py", "task.json"])
        try Self.package(in: array, manifest: "[1, 2]")
        try Self.package(in: broken, manifest: "{\"title\": ")
        try Self.package(in: good)
        let cases: [(JSONValue, URL, String)] = [
            ([:], good, "\"summary\" must say"),
            (["summary": ""], good, "\"summary\" must say"),
            (["summary": 3], good, "\"summary\" must say"),
            (["summary": "s"], lacking, "the package lacks metric.py, task.json"),
            (["summary": "s"], array, "task.json is not a JSON object"),
            (["summary": "s"], broken, "task.json is not a JSON object"),
        ]
        for (arguments, package, reason) in cases {
            let message = Self.refusal(LLMAuthor.acceptPackage(arguments, in: package, id: "t", stamp: Self.stamp))
            #expect(message?.contains(reason) == true, "\(package.lastPathComponent) \(arguments.encodedString()): \(message ?? "accepted")")
        }
        let untouched = try String(contentsOf: array.appending(path: "task.json"), encoding: .utf8)
        #expect(untouched == "[1, 2]", "a refused package is not stamped")
    }

    @Test
    func aTaskJSONThatLinksOutOfThePackageIsRefused() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        let package = folder.url.appending(path: "package")
        try Self.package(in: package, skipping: ["task.json"])
        // The designer's sandboxed bash cannot read host files, but it can plant a link that the host follows.
        let hostFile = folder.url.appending(path: "host-credentials.json")
        try #"{"api_key": "sk-host-secret"}"#.write(to: hostFile, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: package.appending(path: "task.json"), withDestinationURL: hostFile)
        let result = LLMAuthor.acceptPackage(["summary": "s"], in: package, id: "t", stamp: Self.stamp)
        #expect(Self.refusal(result) != nil, "a linked task.json is refused")
        // Unfixed, the stamped copy of the host file replaces the link: a regular file holding the secret.
        let type = try FileManager.default.attributesOfItem(atPath: package.appending(path: "task.json").path)[.type] as? FileAttributeType
        #expect(type == .typeSymbolicLink, "no host file's content is written into the package")
    }

    // MARK: Verdicts

    static func verdict(_ verdict: String = "pass", scores: [String: JSONValue]? = nil, issues: [JSONValue] = []) -> JSONValue {
        let all: [String: JSONValue] = ["clarity": 4, "metric_fitness": 5, "leakage": 4, "shortcuts": 3]
        return ["verdict": .string(verdict), "scores": .object(scores ?? all), "issues": .array(issues)]
    }

    static func issue(_ severity: String = "major", file: String = "metric.py", evidence: String = "line 3") -> JSONValue {
        ["severity": .string(severity), "file": .string(file), "evidence": .string(evidence), "message": "the metric is inverted"]
    }

    @Test func aGoodVerdictIsAccepted() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        try Self.package(in: folder.url)
        let verdict = Self.verdict("fail", issues: [Self.issue(), Self.issue("minor", file: "task.json")])
        #expect(try LLMAuthor.acceptVerdict(verdict, in: folder.url).get() == verdict)
        #expect(try LLMAuthor.acceptVerdict(Self.verdict(), in: folder.url).get() == Self.verdict())
    }

    @Test func verdictsAreRefusedWithTheReason() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        let task = folder.url.appending(path: "task")
        try Self.package(in: task)
        try "secret".write(to: folder.url.appending(path: "beside.txt"), atomically: true, encoding: .utf8)
        let good: [String: JSONValue] = ["clarity": 4, "metric_fitness": 5, "leakage": 4, "shortcuts": 3]
        let cases: [(JSONValue, String)] = [
            (Self.verdict("maybe"), "\"verdict\" must be"),
            (["scores": .object(good), "issues": []], "\"verdict\" must be"),
            (Self.verdict(scores: good.merging(["leakage": 6]) { $1 }), "scores.leakage must be a whole number from 0 to 5"),
            (Self.verdict(scores: good.merging(["clarity": -1]) { $1 }), "scores.clarity must be"),
            (Self.verdict(scores: good.merging(["shortcuts": 2.5]) { $1 }), "scores.shortcuts must be"),
            (Self.verdict(scores: good.merging(["metric_fitness": "5"]) { $1 }), "scores.metric_fitness must be"),
            (Self.verdict(scores: good.filter { $0.key != "shortcuts" }), "scores.shortcuts must be"),
            (["verdict": "pass", "scores": .object(good)], "\"issues\" must be a list"),
            (Self.verdict(issues: [Self.issue("critical")]), "each issue needs severity"),
            (Self.verdict(issues: [Self.issue(evidence: "")]), "each issue needs severity"),
            (Self.verdict(issues: [["severity": "minor", "file": "metric.py", "evidence": "e"]]), "each issue needs severity"),
            (Self.verdict(issues: [Self.issue(file: "nope.py")]), "cites nope.py, which is not a file of the task folder"),
            (Self.verdict(issues: [Self.issue(file: "../beside.txt")]), "cites ../beside.txt"),
            (Self.verdict(issues: [Self.issue(file: "/etc/passwd")]), "cites /etc/passwd"),
        ]
        for (arguments, reason) in cases {
            let message = Self.refusal(LLMAuthor.acceptVerdict(arguments, in: task))
            #expect(message?.contains(reason) == true, "\(arguments.encodedString()): \(message ?? "accepted")")
        }
    }

    @Test
    func anIssueMustCiteAFileNotAFolder() throws {
        let folder = try TemporaryDirectory("acceptance")
        defer { folder.remove() }
        try Self.package(in: folder.url)
        try FileManager.default.createDirectory(at: folder.url.appending(path: "raw"), withIntermediateDirectories: true)
        for file in ["", ".", "raw"] {
            let message = Self.refusal(LLMAuthor.acceptVerdict(Self.verdict(issues: [Self.issue(file: file)]), in: folder.url))
            #expect(message?.contains("is not a file of the task folder") == true, "'\(file)': \(message ?? "accepted")")
        }
    }

    // MARK: Defects from a verdict

    @Test func reviewDefectsComeFromMajorIssuesLowScoresAndABareFail() {
        let major = LLMAuthor.reviewDefects(Self.verdict("pass", issues: [Self.issue(), Self.issue("minor", file: "prepare.py")]))
        #expect(major == [Defect(stage: .review, check: "llm_review",
                                 message: "metric.py: the metric is inverted (evidence: line 3)")])

        let low = LLMAuthor.reviewDefects(Self.verdict("pass", scores: ["clarity": 2, "metric_fitness": 3, "leakage": 0, "shortcuts": 5]))
        #expect(low.map(\.check) == ["llm_review_clarity", "llm_review_leakage"])
        #expect(low.first?.message == "the reviewer scored clarity 2/5")

        let bareFail = LLMAuthor.reviewDefects(Self.verdict("fail", issues: [Self.issue("minor")]))
        #expect(bareFail.map(\.check) == ["llm_review_verdict"])
        #expect(bareFail.allSatisfy { $0.stage == .review })

        let failWithReasons = LLMAuthor.reviewDefects(Self.verdict("fail", issues: [Self.issue()]))
        #expect(failWithReasons.map(\.check) == ["llm_review"], "a fail with a major issue is not counted twice")

        #expect(LLMAuthor.reviewDefects(Self.verdict("pass", issues: [Self.issue("minor")])).isEmpty)
        #expect(LLMAuthor.reviewDefects(Self.verdict()).isEmpty)
    }

    // MARK: Helpers

    @Test func theDefectListNamesEveryDefect() {
        #expect(LLMAuthor.defectList([]) == "")
        let list = LLMAuthor.defectList([
            Defect(stage: .assertionsPre, check: "no_answer_leak", message: "test.csv holds the target"),
            Defect(stage: .review, check: "llm_review", message: "metric.py: inverted"),
        ])
        #expect(list == """
            The previous attempt failed these checks; mend every one:
            - [assertions_pre] no_answer_leak: test.csv holds the target
            - [review] llm_review: metric.py: inverted

            """)
    }

    @Test func slugsAreLowerCaseWordsJoinedByHyphens() {
        #expect(LLMAuthor.slug("House Prices (2024).csv") == "house-prices-2024-csv")
        #expect(LLMAuthor.slug("__Titanic__") == "titanic")
        #expect(LLMAuthor.slug("a--b  c") == "a-b-c")
        #expect(LLMAuthor.slug("penguins") == "penguins")
        #expect(LLMAuthor.slug("!!!") == "")
    }
}
