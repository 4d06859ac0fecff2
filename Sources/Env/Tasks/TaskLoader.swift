import Foundation

/// Loads task folders of every accepted layout through the one resolver (python/mledojo/resolve.py),
/// which the trusted grader runs: the server never decides on its own what a folder is.
public struct TaskLoader: Sendable {
    /// Resolves every task folder directly under a root: the grader's `discover` answer (`tasks`).
    public typealias Discover = @Sendable (URL) async throws -> JSONValue
    /// Resolves one task folder: the grader's `resolve` answer (`task`).
    public typealias Resolve = @Sendable (URL) async throws -> JSONValue

    private let discover: Discover
    private let resolve: Resolve

    public init(discover: @escaping Discover, resolve: @escaping Resolve) {
        self.discover = discover
        self.resolve = resolve
    }

    /// A loader that asks `grader`.
    public init(grader: GraderClient) {
        self.init(discover: { root in try await grader.discover(root: root) },
                  resolve: { folder in try await grader.resolve(taskDirectory: folder) })
    }

    /// Loads every task folder directly under `root`; a folder that is not a task is skipped, a broken task is reported.
    public func loadAll(from root: URL) async -> (tasks: [CompetitionTask], problems: [String]) {
        let entries: JSONValue
        do { entries = try await discover(root.standardizedFileURL) } catch {
            return ([], ["\(root.path): \(error)"])
        }
        var tasks: [CompetitionTask] = []
        var problems: [String] = []
        for entry in entries.arrayValue ?? [] {
            let folder = URL(fileURLWithPath: entry["dir"]?.stringValue ?? "?")
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

    /// Loads one task folder.
    public func load(_ folder: URL) async throws -> CompetitionTask {
        let folder = folder.standardizedFileURL
        return try CompetitionTask(resolved: try await resolve(folder), directory: folder)
    }
}
