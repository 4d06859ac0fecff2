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
}
