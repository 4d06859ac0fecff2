import Foundation

/// Sessions started ahead of their reset, so an episode's first run does not wait the second or so a
/// worker takes to import numpy, pandas and scikit-learn: after a reset of a task, the server makes one
/// more session of that task — its id, its folders, its sandbox uid, its warm worker — and the next reset
/// of the task with the default run limits takes it. The sandbox is the one every session gets; only
/// when it starts changes. Spares are never in the database until a reset takes them.
actor SpareSessions {
    /// A session made ahead: what a reset needs to adopt it.
    struct Spare: Sendable {
        let sessionID: String
        let folders: SessionFolders
        let uid: UInt32?
    }

    /// Spares kept per task (0: none).
    let perTask: Int
    private var ready: [String: [Spare]] = [:]
    private var starting: [String: Int] = [:]

    init(perTask: Int) {
        self.perTask = max(0, perTask)
    }

    /// A ready spare of `task`, removed from the pool; nil when there is none.
    func take(_ task: String) -> Spare? {
        guard var spares = ready[task], !spares.isEmpty else { return nil }
        let spare = spares.removeFirst()
        ready[task] = spares
        return spare
    }

    /// How many spares of `task` to start now; they count as starting until `started` or `failed`.
    func reserve(_ task: String) -> Int {
        let missing = perTask - (ready[task]?.count ?? 0) - (starting[task] ?? 0)
        guard missing > 0 else { return 0 }
        starting[task, default: 0] += missing
        return missing
    }

    /// A reserved spare is made and its worker is starting.
    func started(_ spare: Spare, task: String) {
        starting[task, default: 1] -= 1
        ready[task, default: []].append(spare)
    }

    /// A reserved spare could not be made.
    func failed(task: String) {
        starting[task, default: 1] -= 1
    }

    /// Every ready spare, removed (the server is stopping).
    func removeAll() -> [Spare] {
        defer { ready = [:] }
        return ready.values.flatMap { $0 }
    }

    /// Ready spares of `task`.
    func count(_ task: String) -> Int { ready[task]?.count ?? 0 }
}
