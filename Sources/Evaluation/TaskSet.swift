import Foundation
import ReActAgent

/// The tasks of an evaluation: a comma list (unioned) of task ids, `source:X`, `modality:X`, `@file`
/// (one item per line; blank lines and `#` comments ignored) or `all`, resolved against the server's
/// `list_tasks`. An item that matches nothing is an error, never an empty set.
public struct TaskSet: Sendable, Equatable {
    /// One item of the list.
    public enum Item: Sendable, Equatable {
        case task(String)
        case source(String)
        case modality(String)
        case file(String)
        case all
    }

    public var items: [Item]

    public init(items: [Item]) {
        self.items = items
    }

    /// Parses the comma list (files are read when resolving).
    public static func parse(_ text: String) throws(TaskSetError) -> TaskSet {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !(parts.count == 1 && parts[0].isEmpty) else { throw .empty }
        var items: [Item] = []
        for part in parts {
            items.append(try item(part, whole: text))
        }
        return TaskSet(items: items)
    }

    static func item(_ part: String, whole: String) throws(TaskSetError) -> Item {
        guard !part.isEmpty else { throw .emptyItem(whole) }
        if part == "all" { return .all }
        if part.hasPrefix("@") {
            let path = String(part.dropFirst())
            guard !path.isEmpty else { throw .emptyItem(whole) }
            return .file(path)
        }
        for (prefix, make) in [("source:", Item.source), ("modality:", Item.modality)] where part.hasPrefix(prefix) {
            let value = String(part.dropFirst(prefix.count))
            guard !value.isEmpty else { throw .emptyItem(whole) }
            return make(value)
        }
        return .task(part)
    }

    /// The tasks the set names, by id. `readFile` reads an `@file` (relative paths from the working directory).
    public func resolve(_ listings: [TaskListing],
                        readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }) throws(TaskSetError) -> [TaskListing] {
        var chosen: [String: TaskListing] = [:]
        for item in items {
            for listing in try matches(item, listings, readFile: readFile) { chosen[listing.id] = listing }
        }
        return chosen.values.sorted { $0.id < $1.id }
    }

    private func matches(_ item: Item, _ listings: [TaskListing], readFile: (String) throws -> String) throws(TaskSetError) -> [TaskListing] {
        let ready = listings.filter(\.ready)
        let found: [TaskListing]
        switch item {
        case .task(let id):
            guard let listing = listings.first(where: { $0.id == id }) else { throw .noSuchTask(id) }
            guard listing.ready else { throw .notPrepared(id) }
            return [listing]
        case .source(let source):
            found = ready.filter { $0.source == source }
            if found.isEmpty { throw .matchesNothing("source:\(source)") }
        case .modality(let modality):
            found = ready.filter { $0.modality == modality }
            if found.isEmpty { throw .matchesNothing("modality:\(modality)") }
        case .all:
            found = ready
            if found.isEmpty { throw .matchesNothing("all") }
        case .file(let path):
            let text: String
            do { text = try readFile(path) } catch { throw .unreadableFile(path: path, reason: "\(error)") }
            var fromFile: [TaskListing] = []
            for line in text.split(whereSeparator: \.isNewline) {
                let entry = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                    .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                if entry.isEmpty { continue }
                let inner = try Self.item(entry, whole: entry)
                if case .file = inner { throw .nestedFile(path) }
                fromFile += try matches(inner, listings, readFile: readFile)
            }
            if fromFile.isEmpty { throw .matchesNothing("@\(path)") }
            found = fromFile
        }
        return found
    }
}
