import EnvTesting
import Foundation
import Testing
import Wire

@testable import Generator

/// `AgentWorkspace` on real files: the file tools stay inside the work folder (reads also in the readable
/// folders), paginate and list; `bash` runs in this host's real sandbox.
@Suite("AgentWorkspace", .serialized)
struct AgentWorkspaceTests {
    /// A work folder, a readable data folder beside it, and a folder outside both holding a secret.
    struct Layout {
        let folder: TemporaryDirectory
        var work: URL { folder.url.appending(path: "work") }
        var data: URL { folder.url.appending(path: "data") }
        var outside: URL { folder.url.appending(path: "outside") }

        init() throws {
            folder = try TemporaryDirectory("agent-workspace")
            for url in [work, data, outside] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
            try "a,b\n1,2\n".write(to: data.appending(path: "table.csv"), atomically: true, encoding: .utf8)
            try "SECRET".write(to: outside.appending(path: "secret.txt"), atomically: true, encoding: .utf8)
        }

        func workspace(writable: Bool = true, shell: SandboxedCommandProvider = .unprobed) async throws -> AgentWorkspace {
            let command = shell == .unprobed ? AgentFixtures.unprobedShell : try await AgentFixtures.probedShell()
            return try AgentFixtures.workspace(work, readable: [data], shell: command, writable: writable)
        }
    }

    enum SandboxedCommandProvider { case unprobed, probed }

    static func read(_ workspace: AgentWorkspace, _ path: String, offset: Int? = nil, maxBytes: Int? = nil) async -> AgentWorkspace.Result {
        var arguments: [String: JSONValue] = ["path": .string(path)]
        if let offset { arguments["offset"] = .number(Double(offset)) }
        if let maxBytes { arguments["max_bytes"] = .number(Double(maxBytes)) }
        return await workspace.execute(.readFile, .object(arguments))
    }

    static func write(_ workspace: AgentWorkspace, _ path: String, _ content: String) async -> AgentWorkspace.Result {
        await workspace.execute(.writeFile, ["path": .string(path), "content": .string(content)])
    }

    // MARK: File tools

    @Test func readsInsideTheWorkAndReadableFoldersOnly() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace()
        try "mine".write(to: layout.work.appending(path: "own.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: layout.work.appending(path: "link.txt"),
                                                   withDestinationURL: layout.outside.appending(path: "secret.txt"))
        try FileManager.default.createSymbolicLink(at: layout.work.appending(path: "linked-folder"), withDestinationURL: layout.outside)

        #expect(await Self.read(workspace, "own.txt") == .init(ok: true, text: "mine"))
        #expect(await Self.read(workspace, layout.data.appending(path: "table.csv").path) == .init(ok: true, text: "a,b\n1,2\n"))
        for path in ["../outside/secret.txt", layout.outside.appending(path: "secret.txt").path, "/etc/passwd", "link.txt",
                     "linked-folder/secret.txt", "../data/../outside/secret.txt"] {
            let result = await Self.read(workspace, path)
            #expect(!result.ok, "\(path)")
            #expect(result.text.contains("outside the folders you may read"), "\(path): \(result.text)")
            #expect(!result.text.contains("SECRET") && !result.text.contains("root:"), "\(path)")
        }
        let missing = await Self.read(workspace, "nope.txt")
        #expect(!missing.ok && missing.text.hasPrefix("error: cannot read nope.txt"))
        let noPath = await workspace.execute(.readFile, [:])
        #expect(!noPath.ok && noPath.text.contains("'path'"))
    }

    @Test func writesOnlyInsideTheWorkFolder() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace()
        try FileManager.default.createSymbolicLink(at: layout.work.appending(path: "linked-folder"), withDestinationURL: layout.outside)

        let ok = await Self.write(workspace, "deep/er/file.py", "print(1)\n")
        #expect(ok.ok, "\(ok.text)")
        #expect(try String(contentsOf: layout.work.appending(path: "deep/er/file.py"), encoding: .utf8) == "print(1)\n")

        let refusals = ["../outside/new.txt", layout.outside.appending(path: "new.txt").path, "/tmp/agent-workspace-escape.txt",
                        "linked-folder/new.txt", layout.data.appending(path: "new.csv").path, "../data/table.csv"]
        for path in refusals {
            let result = await Self.write(workspace, path, "x")
            #expect(!result.ok, "\(path)")
            #expect(result.text.contains("outside the folders you may write"), "\(path): \(result.text)")
        }
        #expect(!FileManager.default.fileExists(atPath: layout.outside.appending(path: "new.txt").path))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/agent-workspace-escape.txt"))
        #expect(!FileManager.default.fileExists(atPath: layout.data.appending(path: "new.csv").path))
        #expect(try String(contentsOf: layout.data.appending(path: "table.csv"), encoding: .utf8) == "a,b\n1,2\n")
        let noContent = await workspace.execute(.writeFile, ["path": "a.txt"])
        #expect(!noContent.ok && noContent.text.contains("'content'"))
    }

    @Test func aDanglingLinkDoesNotLetAWriteLandOutside() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace()
        let target = layout.outside.appending(path: "planted.txt")
        try FileManager.default.createSymbolicLink(at: layout.work.appending(path: "dangling.txt"), withDestinationURL: target)
        try FileManager.default.createSymbolicLink(at: layout.work.appending(path: "dangling-folder"),
                                                   withDestinationURL: layout.outside.appending(path: "made"))
        _ = await Self.write(workspace, "dangling.txt", "x")
        _ = await Self.write(workspace, "dangling-folder/file.txt", "x")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        #expect(!FileManager.default.fileExists(atPath: layout.outside.appending(path: "made").path))
    }

    @Test func theReviewerWorkspaceWritesNothing() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace(writable: false)
        let result = await Self.write(workspace, "notes.txt", "x")
        #expect(result == .init(ok: false, text: "error: this agent may not write files"))
        #expect(!FileManager.default.fileExists(atPath: layout.work.appending(path: "notes.txt").path))
        #expect(await workspace.execute(.finish, [:]).ok == false)
    }

    @Test func readFilePaginatesAndSaysWhereToGoOn() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace()
        try "0123456789abcdefghij".write(to: layout.work.appending(path: "f.txt"), atomically: true, encoding: .utf8)

        let first = await Self.read(workspace, "f.txt", maxBytes: 8)
        #expect(first.ok)
        #expect(first.text == "01234567\n[... bytes 0–8 of 20; read on with offset 8]")
        let second = await Self.read(workspace, "f.txt", offset: 8, maxBytes: 8)
        #expect(second.text == "89abcdef\n[... bytes 8–16 of 20; read on with offset 16]")
        let last = await Self.read(workspace, "f.txt", offset: 16, maxBytes: 8)
        #expect(last.text == "ghij")
        let past = await Self.read(workspace, "f.txt", offset: 500)
        #expect(past == .init(ok: true, text: ""))

        let big = String(repeating: "x", count: 9000)
        try big.write(to: layout.work.appending(path: "big.txt"), atomically: true, encoding: .utf8)
        let cut = await Self.read(workspace, "big.txt")
        #expect(cut.text.hasSuffix("[... bytes 0–8000 of 9000; read on with offset 8000]"), "the default limit is 8000 bytes")
        let capped = await Self.read(workspace, "big.txt", maxBytes: 1_000_000)
        #expect(capped.text == big, "max_bytes is capped at 20000, which holds the whole file")
    }

    @Test
    func pagesFollowedByTheirOffsetsRebuildAMultiByteFile() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace()
        let text = "abcdé€😀 naïve café, ünïcödé ✓ end"
        try text.write(to: layout.work.appending(path: "u.txt"), atomically: true, encoding: .utf8)
        var rebuilt = "", offset = 0, pages = 0
        while pages < 100 {
            pages += 1
            let page = await Self.read(workspace, "u.txt", offset: offset, maxBytes: 5)
            #expect(page.ok, "\(page.text)")
            guard let marker = page.text.range(of: "\n[... bytes ") else {
                rebuilt += page.text
                break
            }
            rebuilt += page.text[..<marker.lowerBound]
            let next = page.text[marker.upperBound...].split(separator: " ").last.flatMap { Int($0.dropLast()) }
            offset = try #require(next)
        }
        #expect(rebuilt == text)
    }

    @Test func listDirectoryStructureGoesAsDeepAsAsked() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace()
        try FileManager.default.createDirectory(at: layout.work.appending(path: "a/b/c/d/e"), withIntermediateDirectories: true)
        try "12345".write(to: layout.work.appending(path: "a/top.txt"), atomically: true, encoding: .utf8)
        try "x".write(to: layout.work.appending(path: "a/b/c/d/e/deep.txt"), atomically: true, encoding: .utf8)
        try "h".write(to: layout.work.appending(path: ".hidden"), atomically: true, encoding: .utf8)

        let one = await workspace.execute(.listDirectoryStructure, ["depth": 1])
        #expect(one.ok)
        #expect(one.text == "\(layout.work.path)/\n  a/")
        let two = await workspace.execute(.listDirectoryStructure, [:])
        #expect(two.text == "\(layout.work.path)/\n  a/\n    b/\n    top.txt (5 bytes)", "the default depth is 2")
        let capped = await workspace.execute(.listDirectoryStructure, ["depth": 10])
        let names = capped.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(names.contains("d/") && !names.contains("e/"), "depth is capped at 4")
        #expect(!capped.text.contains(".hidden"))
        let data = await workspace.execute(.listDirectoryStructure, ["path": .string(layout.data.path)])
        #expect(data.text.contains("table.csv (8 bytes)"))
        let outside = await workspace.execute(.listDirectoryStructure, ["path": "../outside"])
        #expect(!outside.ok && !outside.text.contains("secret"))
        let file = await workspace.execute(.listDirectoryStructure, ["path": "a/top.txt"])
        #expect(!file.ok && file.text.contains("is not a folder"))
    }

    // MARK: bash, in the real sandbox

    @Test func bashRunsInTheWorkFolderWithTheProjectsPython() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace(shell: .probed)
        let result = await workspace.execute(.bash, [
            "command": .string("pwd && echo made > made.txt && cat \(layout.data.path)/table.csv | tail -1 && python -c 'import pandas, mledojo; print(\"imports ok\")'"),
        ])
        #expect(result.ok, "\(result.text)")
        #expect(result.text.hasPrefix("exit code: 0"))
        #expect(result.text.contains(layout.work.path))
        #expect(result.text.contains("1,2"))
        #expect(result.text.contains("imports ok"))
        #expect(try String(contentsOf: layout.work.appending(path: "made.txt"), encoding: .utf8) == "made\n")

        let failing = await workspace.execute(.bash, ["command": "echo oops >&2; exit 3"])
        #expect(!failing.ok)
        #expect(failing.text.hasPrefix("exit code: 3") && failing.text.contains("stderr:\noops"))
    }

    @Test func bashCannotWriteTheReadableFolderNorReachTheNetworkNorTheHost() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace(shell: .probed)
        let script = """
            touch \(layout.data.path)/planted.csv 2>/dev/null && echo WROTE-DATA; \
            cat \(layout.outside.path)/secret.txt 2>/dev/null; \
            python -c "import socket
            try:
                socket.create_connection(('1.1.1.1', 53), timeout=2); print('NETWORK')
            except OSError:
                print('no network')"
            """
        let result = await workspace.execute(.bash, ["command": .string(script)])
        #expect(result.text.contains("no network"), "\(result.text)")
        #expect(!result.text.contains("NETWORK") && !result.text.contains("WROTE-DATA") && !result.text.contains("SECRET"), "\(result.text)")
        #expect(!FileManager.default.fileExists(atPath: layout.data.appending(path: "planted.csv").path))
    }

    @Test func theReviewersBashCannotWriteItsFolder() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace(writable: false, shell: .probed)
        let result = await workspace.execute(.bash, ["command": "echo x > planted.txt"])
        #expect(!result.ok, "\(result.text)")
        #expect(!FileManager.default.fileExists(atPath: layout.work.appending(path: "planted.txt").path))
    }

    @Test func aTimeoutStopsARunawayCommand() async throws {
        let layout = try Layout()
        defer { layout.folder.remove() }
        let workspace = try await layout.workspace(shell: .probed)
        let started = ContinuousClock.now
        let result = await workspace.execute(.bash, ["command": "sleep 30", "timeout_s": 1])
        #expect(!result.ok)
        #expect(result.text.contains("stopped at the 1 s limit"), "\(result.text)")
        #expect(ContinuousClock.now - started < .seconds(15))
    }
}
