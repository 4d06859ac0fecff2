/// Why a `--tasks` set could not be resolved.
public enum TaskSetError: Error, Equatable, CustomStringConvertible {
    case empty
    case emptyItem(String)
    case unreadableFile(path: String, reason: String)
    case nestedFile(String)
    case noSuchTask(String)
    case notPrepared(String)
    case matchesNothing(String)

    public var description: String {
        switch self {
        case .empty: "--tasks is empty (task ids, source:X, modality:X, @file or all)"
        case .emptyItem(let text): "--tasks '\(text)': an item is empty"
        case .unreadableFile(let path, let reason): "--tasks @\(path): cannot read it (\(reason))"
        case .nestedFile(let path): "--tasks @\(path): a task file may not name another file"
        case .noSuchTask(let id): "--tasks: the server has no task '\(id)'"
        case .notPrepared(let id): "--tasks: task '\(id)' is not prepared (ready: false); run `mledojo tasks prepare`"
        case .matchesNothing(let item): "--tasks: '\(item)' matches no prepared task"
        }
    }
}
