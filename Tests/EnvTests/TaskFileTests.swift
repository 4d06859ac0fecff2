import EnvTesting
import Foundation
import Testing

@testable import Env

@Suite("TaskFile")
struct TaskFileTests {
    @Test func readsTheWholeFileOrItsHeadAndFailsOnAMissingOne() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = folder.url.appending(path: "description.txt")
        let text = String(repeating: "penguins ✓ ", count: 20_000)  // past one 64 KiB read
        try Data(text.utf8).write(to: file)
        #expect(try TaskFile.readText(file, limit: 1 << 20) == text)
        #expect(try TaskFile.readText(file, limit: 8) == "penguins")
        #expect(throws: EnvError.self) { try TaskFile.readText(folder.url.appending(path: "missing.txt"), limit: 100) }
    }
}
