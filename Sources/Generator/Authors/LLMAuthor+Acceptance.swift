import Foundation
import Wire

/// What the LLM agents hand in (`finish`) is checked before it counts; a refusal goes back to the agent
/// with the reason, so it can mend it within its steps.
extension LLMAuthor {
    static let proposalKeys = ["id", "title", "overview", "target", "objective", "metric"]
    static let packageFiles = ["prepare.py", "metric.py", "description.txt", "task.json"]

    /// The Brainstormer's `{"candidates": [paths]}`: 1–`limit` proposal files in its work folder, each a
    /// JSON object with the required keys and a unique slug id. Returns the proposals themselves.
    static func acceptProposals(_ arguments: JSONValue, in work: URL, limit: Int, dataset: String = "") -> Result<JSONValue, ToolArgumentError> {
        guard let paths = arguments["candidates"]?.arrayValue?.compactMap(\.stringValue), !paths.isEmpty else {
            return .failure(.init(message: "\"candidates\" must list the proposal files you wrote"))
        }
        guard paths.count <= limit else { return .failure(.init(message: "propose at most \(limit) tasks, not \(paths.count)")) }
        var proposals: [JSONValue] = []
        var ids = Set<String>()
        for path in paths {
            let file = (path.hasPrefix("/") ? URL(fileURLWithPath: path) : work.appending(path: path)).standardizedFileURL
            guard AgentWorkspace.isInside(AgentWorkspace.realPath(file), AgentWorkspace.realPath(work)) else {
                return .failure(.init(message: "\(path) is not in your work folder"))
            }
            guard let data = FileManager.default.contents(atPath: file.path) else { return .failure(.init(message: "there is no file \(path)")) }
            guard let proposal = try? JSONValue.decode(data), var fields = proposal.objectValue else {
                return .failure(.init(message: "\(path) is not a JSON object"))
            }
            let missing = proposalKeys.filter { (fields[$0]?.stringValue ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
            guard missing.isEmpty else { return .failure(.init(message: "\(path) lacks \(missing.joined(separator: ", "))")) }
            let id = fields["id"]?.stringValue ?? ""
            guard id.range(of: "^[a-z0-9][a-z0-9-]{1,60}\\z", options: .regularExpression) != nil else {
                return .failure(.init(message: "\(path): id '\(id)' must be lower-case letters, digits and hyphens"))
            }
            guard ids.insert(candidateID(id, dataset: dataset)).inserted else {
                return .failure(.init(message: "two proposals share the id '\(candidateID(id, dataset: dataset))'"))
            }
            fields["file"] = .string(path)
            proposals.append(.object(fields))
        }
        return .success(["candidates": .array(proposals)])
    }

    /// The Designer's or Refactor's `{"summary"}`: the package's files exist and task.json is a JSON
    /// object, which is then stamped with the candidate's id and `generated` (whatever the agent wrote).
    static func acceptPackage(_ arguments: JSONValue, in folder: URL, id: String, stamp: JSONValue) -> Result<JSONValue, ToolArgumentError> {
        guard let summary = arguments["summary"]?.stringValue, !summary.isEmpty else {
            return .failure(.init(message: "\"summary\" must say what you built and how you tested it"))
        }
        let missing = packageFiles.filter { !FileManager.default.fileExists(atPath: folder.appending(path: $0).path) }
        guard missing.isEmpty else { return .failure(.init(message: "the package lacks \(missing.joined(separator: ", "))")) }
        let linked = packageFiles.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: folder.appending(path: $0).path)) != nil }
        guard linked.isEmpty else { return .failure(.init(message: "\(linked.joined(separator: ", ")) must be files, not symbolic links")) }
        let manifest = folder.appending(path: "task.json")
        guard let data = FileManager.default.contents(atPath: manifest.path), var fields = (try? JSONValue.decode(data))?.objectValue else {
            return .failure(.init(message: "task.json is not a JSON object"))
        }
        fields["id"] = .string(id)
        fields["generated"] = stamp
        do { try Data(JSONValue.object(fields).encodedString().utf8).write(to: manifest, options: .atomic) } catch {
            return .failure(.init(message: "cannot update task.json: \(error.localizedDescription)"))
        }
        return .success(["summary": .string(summary)])
    }

    /// The Reviewer's verdict: every dimension scored 0–5, every issue citing a file of the task folder.
    static func acceptVerdict(_ arguments: JSONValue, in folder: URL) -> Result<JSONValue, ToolArgumentError> {
        guard let verdict = arguments["verdict"]?.stringValue, ["pass", "fail"].contains(verdict) else {
            return .failure(.init(message: "\"verdict\" must be \"pass\" or \"fail\""))
        }
        for dimension in AgentRole.reviewDimensions {
            guard let score = arguments["scores"]?[dimension]?.numberValue, (0...5).contains(score), score.rounded() == score else {
                return .failure(.init(message: "scores.\(dimension) must be a whole number from 0 to 5"))
            }
        }
        guard let issues = arguments["issues"]?.arrayValue else { return .failure(.init(message: "\"issues\" must be a list (maybe empty)")) }
        for issue in issues {
            guard let severity = issue["severity"]?.stringValue, ["major", "minor"].contains(severity),
                  let file = issue["file"]?.stringValue, let evidence = issue["evidence"]?.stringValue, !evidence.isEmpty,
                  issue["message"]?.stringValue != nil else {
                return .failure(.init(message: "each issue needs severity (major|minor), file, evidence and message"))
            }
            let cited = AgentWorkspace.realPath(folder.appending(path: file))
            var isFolder: ObjCBool = false
            guard AgentWorkspace.isInside(cited, AgentWorkspace.realPath(folder)),
                  FileManager.default.fileExists(atPath: cited.path, isDirectory: &isFolder), !isFolder.boolValue else {
                return .failure(.init(message: "an issue cites \(file), which is not a file of the task folder: cite the file that shows it"))
            }
        }
        return .success(arguments)
    }

    /// What fails a candidate in an accepted verdict: major issues, scores under 3, a `fail` verdict.
    static func reviewDefects(_ judgement: JSONValue) -> [Defect] {
        var defects: [Defect] = []
        for issue in judgement["issues"]?.arrayValue ?? [] where issue["severity"]?.stringValue == "major" {
            defects.append(Defect(stage: .review, check: "llm_review", message: "\(issue["file"]?.stringValue ?? "?"): "
                + "\(issue["message"]?.stringValue ?? "") (evidence: \(issue["evidence"]?.stringValue ?? ""))"))
        }
        for dimension in AgentRole.reviewDimensions {
            if let score = judgement["scores"]?[dimension]?.numberValue, score < 3 {
                defects.append(Defect(stage: .review, check: "llm_review_\(dimension)", message: "the reviewer scored \(dimension) \(Int(score))/5"))
            }
        }
        if defects.isEmpty, judgement["verdict"]?.stringValue == "fail" {
            defects.append(Defect(stage: .review, check: "llm_review_verdict", message: "the reviewer failed the task without a major issue"))
        }
        return defects
    }
}
