import Env
import Foundation
import Wire

/// After each Designer or Refactor attempt the generator completes what it knows better than the agent:
/// the dataset's provenance (a sha256 of every raw file, the license line of its README), then — in the
/// sandbox, since it runs the package's own code — prepare, and the random and weak reference scores
/// (`mledojo.weak`). The baseline and best known are left to execution validation, which measures them
/// (the assertions before it run `--unvalidated`, which does not ask for them). Nothing here fails the attempt: what
/// could not be completed is noted, and the assertions that follow judge the package (a prepare that
/// fails, references that cannot be graded, a task.json without them) and send their defects back.
extension LLMAuthor {
    func completeManifest(_ candidate: Candidate, stage: GenerationStage) async -> [Defect] {
        let folder = candidate.folder
        let manifestFile = folder.appending(path: "task.json")
        guard var fields = (try? JSONValue.decode(Data(contentsOf: manifestFile)))?.objectValue else {
            return [Defect(stage: stage, check: "task_json", message: "task.json is not a JSON object")]
        }
        var dataset = fields["dataset"]?.objectValue ?? [:]
        dataset["name"] = .string(folder.deletingLastPathComponent().lastPathComponent)
        dataset["files"] = .object(await Self.rawDigests(folder.appending(path: "raw")))
        if dataset["license"] == nil, let license = Self.licenseLine(folder.appending(path: "raw")) { dataset["license"] = .string(license) }
        fields["dataset"] = .object(dataset)
        fields["source"] = "generated"
        if let defect = Self.save(.object(fields), to: manifestFile, stage: stage) { return [defect] }

        let python = PythonModule(python: venv.appending(path: "bin/python"), runtime: runtime, sandbox: shell)
        do {
            let prepared = try await python.run("prepare", ["--force", folder.path], writable: [folder], timeoutSeconds: 1800)
            guard prepared.status == 0 else {
                return [Defect(stage: stage, check: "prepare", message: "prepare failed: \(prepared.stdout.suffix(600))\(prepared.stderrTail)")]
            }
            let (outcome, report) = try await python.runJSON("weak", ["--write", "--json", folder.path], writable: [folder], timeoutSeconds: 900)
            guard outcome.status == 0, report != nil else {
                let errors = report?["errors"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? outcome.stderrTail
                return [Defect(stage: stage, check: "reference_scores", message: "the random and weak references cannot be graded: \(errors)")]
            }
            return []
        } catch {
            return [Defect(stage: stage, check: "sandbox", message: "cannot run the package's code in the sandbox: \(error)")]
        }
    }

    static func save(_ manifest: JSONValue, to file: URL, stage: GenerationStage) -> Defect? {
        do { try ExecutionValidator.write(manifest, to: file) } catch {
            return Defect(stage: stage, check: "task_json", message: "cannot write task.json: \(error)")
        }
        return nil
    }

    /// sha256 of each file under raw/, keyed `raw/<name>` (coreutils' sha256sum: Foundation on Linux has no hash).
    static func rawDigests(_ raw: URL) async -> [String: JSONValue] {
        let names = Self.regularFiles(in: raw)
        guard !names.isEmpty, let outcome = try? await ChildProcess.run(
            executable: "/usr/bin/sha256sum", arguments: ["--"] + names, environment: ["PATH=/usr/bin:/bin"], workingDirectory: raw.path,
            limits: ProcessLimits(wallClockSeconds: 300)), outcome.exitCode == 0 else { return [:] }
        var digests: [String: JSONValue] = [:]
        for line in outcome.stdout.text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64 else { continue }
            digests["raw/\(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *")))"] = .string(String(parts[0]))
        }
        return digests
    }

    /// The first line of a README in raw/ that names a license.
    static func licenseLine(_ raw: URL) -> String? {
        for name in Self.regularFiles(in: raw) where name.lowercased().hasPrefix("readme") {
            let text = (try? String(contentsOf: raw.appending(path: name), encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.lowercased().contains("licen") }) {
                return line.trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The plain files of a folder written in the sandbox, never a symbolic link (which the host, reading it
    /// here, would follow out of the package).
    static func regularFiles(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            !name.hasPrefix(".")
                && (try? FileManager.default.attributesOfItem(atPath: folder.appending(path: name).path)[.type] as? FileAttributeType)
                    == .typeRegular
        }.sorted()
    }
}
