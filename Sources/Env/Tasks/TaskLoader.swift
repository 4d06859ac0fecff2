import Foundation

/// Loads task folders of every accepted layout through the one resolver (python/mledojo/resolve.py),
/// which the graders run: the server never decides on its own what a folder is. The trusted grader
/// refuses a folder whose code is untrusted (error type `UntrustedCodeError`) before running any of it;
/// such a folder is resolved again by the grader for untrusted code, in the sandbox.
public struct TaskLoader: Sendable {
    /// Resolves every task folder directly under a root: the grader's `discover` answer (`tasks`).
    public typealias Discover = @Sendable (URL) async throws -> JSONValue
    /// Resolves one task folder: the grader's `resolve` answer (`task`).
    public typealias Resolve = @Sendable (URL) async throws -> JSONValue

    /// Announces the untrusted folders about to be resolved, before the first of them is.
    public typealias Admit = @Sendable ([URL]) async -> Void
    /// The error type of the trusted resolver's refusal of untrusted code.
    public static let untrustedCodeError = "UntrustedCodeError"

    private let discover: Discover
    private let resolve: Resolve
    private let resolveUntrusted: Resolve?
    private let admitUntrusted: Admit?

    /// `resolveUntrusted` resolves the folders `resolve` and `discover` refuse as untrusted code; without it
    /// they are not loaded.
    public init(discover: @escaping Discover, resolve: @escaping Resolve, resolveUntrusted: Resolve? = nil,
                admitUntrusted: Admit? = nil) {
        self.discover = discover
        self.resolve = resolve
        self.resolveUntrusted = resolveUntrusted
        self.admitUntrusted = admitUntrusted
    }

    /// A loader that asks `grader`, and `untrustedGrader` (when given) for tasks whose code is untrusted.
    public init(grader: GraderClient, untrustedGrader: GraderClient? = nil) {
        var resolveUntrusted: Resolve?
        var admitUntrusted: Admit?
        if let untrustedGrader {
            resolveUntrusted = { folder in try await untrustedGrader.resolve(taskDirectory: folder) }
            admitUntrusted = { folders in await untrustedGrader.admit(folders) }
        }
        self.init(discover: { root in try await grader.discover(root: root) },
                  resolve: { folder in try await grader.resolve(taskDirectory: folder) },
                  resolveUntrusted: resolveUntrusted, admitUntrusted: admitUntrusted)
    }

    /// Loads every task folder directly under `root`; a folder that is not a task is skipped, a broken task is reported.
    public func loadAll(from root: URL) async -> (tasks: [CompetitionTask], problems: [String]) {
        let entries: JSONValue
        do { entries = try await discover(root.standardizedFileURL) } catch {
            return ([], ["\(root.path): \(error)"])
        }
        var tasks: [CompetitionTask] = []
        var problems: [String] = []
        let untrusted = (entries.arrayValue ?? []).filter { $0["error_type"]?.stringValue == Self.untrustedCodeError }
            .map { URL(fileURLWithPath: $0["dir"]?.stringValue ?? "?") }
        if resolveUntrusted != nil, !untrusted.isEmpty { await admitUntrusted?(untrusted) }
        for entry in entries.arrayValue ?? [] {
            let folder = URL(fileURLWithPath: entry["dir"]?.stringValue ?? "?")
            if entry["error_type"]?.stringValue == Self.untrustedCodeError, let resolveUntrusted {
                do { tasks.append(try CompetitionTask(resolved: try await resolveUntrusted(folder), directory: folder)) } catch {
                    problems.append("\(folder.lastPathComponent): \(error)")
                }
                continue
            }
            guard entry["ok"]?.boolValue == true, let resolved = entry["task"] else {
                let type = entry["error_type"]?.stringValue ?? "MetricError"
                problems.append("\(folder.lastPathComponent): \(type): \(entry["error"]?.stringValue ?? "not loadable")")
                continue
            }
            do { tasks.append(try CompetitionTask(resolved: resolved, directory: folder)) } catch {
                problems.append("\(folder.lastPathComponent): \(error)")
            }
        }
        return (tasks, problems)
    }

    /// Loads one task folder (in the sandboxed resolver when its code is untrusted).
    public func load(_ folder: URL) async throws -> CompetitionTask {
        let folder = folder.standardizedFileURL
        let resolved: JSONValue
        do { resolved = try await resolve(folder) } catch let error as GraderError where error.errorType == Self.untrustedCodeError {
            guard let resolveUntrusted else { throw error }
            resolved = try await resolveUntrusted(folder)
        }
        return try CompetitionTask(resolved: resolved, directory: folder)
    }
}
