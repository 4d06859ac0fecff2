import EnvTesting
import Foundation
import Synchronization
import Testing
import Wire

@testable import Generator

/// Publishing copies a task folder in one rename, never over a published one, and registers it.
@Suite("Publisher")
struct PublisherTests {
    private func candidate(in folder: URL) throws -> URL {
        let task = folder.appending(path: "work/new-task")
        try FileManager.default.createDirectory(at: task.appending(path: "__pycache__"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: task.appending(path: "task.json"))
        try Data().write(to: task.appending(path: "__pycache__/metric.pyc"))
        return task
    }

    @Test func publishesAtomicallyAndRegisters() async throws {
        let folder = try TemporaryDirectory("gen-publish")
        defer { folder.remove() }
        let task = try candidate(in: folder.url)
        let registered = Mutex<[String]>([])
        let tasks = folder.url.appending(path: "tasks")
        let publisher = Publisher(tasksFolder: tasks, register: { url in registered.withLock { $0.append(url.lastPathComponent) } })
        let result = await publisher.run(task)
        #expect(result.outcome == .passed)
        #expect(FileManager.default.fileExists(atPath: tasks.appending(path: "new-task/task.json").path))
        #expect(!FileManager.default.fileExists(atPath: tasks.appending(path: "new-task/__pycache__").path))
        #expect(registered.withLock { $0 } == ["new-task"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tasks.path) == ["new-task"], "no hidden copy left")
        let again = await publisher.run(task)
        guard case .failed(let defects) = again.outcome else { Issue.record("published twice"); return }
        #expect(defects.map(\.check) == ["exists"])
    }

    @Test func aRefusedRegistrationIsADefect() async throws {
        let folder = try TemporaryDirectory("gen-publish")
        defer { folder.remove() }
        let task = try candidate(in: folder.url)
        struct Refused: Error {}
        let result = await Publisher(tasksFolder: folder.url.appending(path: "tasks"), register: { _ in throw Refused() }).run(task)
        guard case .failed(let defects) = result.outcome else { Issue.record("a refusal passed"); return }
        #expect(defects.map(\.check) == ["register"])
    }
}
