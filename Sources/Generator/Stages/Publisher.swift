import Foundation
import Wire

/// Publishes a verified candidate: copies its folder (with its prepared data) into the tasks folder
/// atomically — a hidden copy first, then one rename — and, when a running server is named, registers
/// it there so `list_tasks` shows it at once.
public struct Publisher: Sendable {
    /// Registers a published task folder with a running server (its admin endpoint).
    public typealias Register = @Sendable (URL) async throws -> Void

    public let tasksFolder: URL
    public let register: Register?

    public init(tasksFolder: URL, register: Register? = nil) {
        self.tasksFolder = tasksFolder
        self.register = register
    }

    public func run(_ folder: URL) async -> StageResult {
        let stage = GenerationStage.publish
        let manager = FileManager.default
        let id = folder.lastPathComponent
        let target = tasksFolder.appending(path: id)
        guard !manager.fileExists(atPath: target.path) else {
            return .failed(stage, "exists", "\(target.path) already exists: a task with this id is published")
        }
        let hidden = tasksFolder.appending(path: ".publishing-\(id)-\(UUID().uuidString.prefix(6))")
        do {
            try manager.createDirectory(at: tasksFolder, withIntermediateDirectories: true)
            try manager.copyItem(at: folder.resolvingSymlinksInPath(), to: hidden)
            try Self.removeCaches(in: hidden)
            guard rename(hidden.path, target.path) == 0 else {
                throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: target.path])
            }
        } catch {
            try? manager.removeItem(at: hidden)
            return .failed(stage, "copy", "cannot publish into \(tasksFolder.path): \(error)")
        }
        if let register {
            do { try await register(target) } catch {
                return .failed(stage, "register", "published to \(target.path) but the server refused it: \(error)",
                               detail: ["path": .string(target.path)])
            }
        }
        return StageResult(.passed, detail: ["path": .string(target.path), "registered": .bool(register != nil)])
    }

    /// Python bytecode caches are not part of a task.
    static func removeCaches(in folder: URL) throws {
        let manager = FileManager.default
        guard let walker = manager.enumerator(at: folder, includingPropertiesForKeys: nil) else { return }
        var caches: [URL] = []
        for case let url as URL in walker where url.lastPathComponent == "__pycache__" { caches.append(url) }
        for cache in caches { try manager.removeItem(at: cache) }
    }
}
