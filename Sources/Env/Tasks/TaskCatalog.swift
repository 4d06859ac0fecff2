import Foundation
import Synchronization

/// The tasks a running server offers. Tasks can be added while serving (the generator registers new ones).
public final class TaskCatalog: Sendable {
    private let tasks: Mutex<[Identifier: CompetitionTask]>

    public init(_ tasks: [CompetitionTask] = []) {
        self.tasks = Mutex(Dictionary(tasks.map { (Identifier($0.id), $0) }, uniquingKeysWith: { _, last in last }))
    }

    /// The task whose id is byte for byte `id`.
    public func task(_ id: String) -> CompetitionTask? { tasks.withLock { $0[Identifier(id)] } }

    public var all: [CompetitionTask] { tasks.withLock { $0.values.sorted { $0.id < $1.id } } }

    public var count: Int { tasks.withLock { $0.count } }

    public func add(_ task: CompetitionTask) { tasks.withLock { $0[Identifier(task.id)] = task } }

    /// What `insert` did.
    public enum Insertion: Sendable, Equatable { case added, replaced, refused }

    /// Adds `task` in one step: a task already served under its id is replaced only when `replacing`,
    /// else the catalog is left as it was (`refused`).
    public func insert(_ task: CompetitionTask, replacing: Bool) -> Insertion {
        tasks.withLock { tasks in
            let key = Identifier(task.id)
            let present = tasks[key] != nil
            if present && !replacing { return .refused }
            tasks[key] = task
            return present ? .replaced : .added
        }
    }
}
