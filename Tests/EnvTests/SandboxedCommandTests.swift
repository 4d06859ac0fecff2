import EnvTesting
import Foundation
import Testing

@testable import Env

/// `SandboxedCommand` on this host's real bubblewrap: writes land only in writable folders, the network
/// and the host's other files are out of reach, limits and the wall clock hold.
@Suite("SandboxedCommand", .serialized)
struct SandboxedCommandTests {
    static func command() async throws -> SandboxedCommand {
        let venv = RepositoryPaths.venv
        let (sandbox, _) = try await Sandbox.probed(bubblewrap: "/usr/bin/bwrap", python: venv.appending(path: "bin/python").path,
                                                    pythonEnvironment: venv, workerDirectory: RepositoryPaths.pythonRuntime)
        return SandboxedCommand(sandbox: sandbox)
    }

    @Test func writesOnlyWhereAllowedAndSeesNoNetworkNorTheHostsFiles() async throws {
        let sandboxed = try await Self.command()
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let root = temporary.url
        do {
            let work = root.appending(path: "work"), data = root.appending(path: "data")
            for folder in [work, data] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            try "a,b\n1,2\n".write(to: data.appending(path: "table.csv"), atomically: true, encoding: .utf8)
            let script = """
                import os, socket
                print(open('\(data.path)/table.csv').read().splitlines()[1])
                open('out.txt', 'w').write('written')
                for path in ['\(data.path)/x', '/etc/x', '\(RepositoryPaths.root.path)/Package.swift']:
                    try:
                        open(path, 'a').close(); print('WROTE', path)
                    except OSError as e:
                        print('denied', type(e).__name__)
                try:
                    socket.create_connection(('1.1.1.1', 53), timeout=2); print('NETWORK')
                except OSError:
                    print('no network')
                print(sorted(n for _, n in socket.if_nameindex()))
                """
            let python = RepositoryPaths.venv.appending(path: "bin/python").path
            let outcome = try await sandboxed.run([python, "-c", script], in: work,
                                                  folders: [.init(work, writable: true), .init(data)])
            #expect(outcome.exitCode == 0, "\(outcome.stderr.text)")
            let lines = outcome.stdout.text.split(separator: "\n").map(String.init)
            #expect(lines.first == "1,2")
            #expect(!outcome.stdout.text.contains("WROTE") && !outcome.stdout.text.contains("NETWORK"), "\(outcome.stdout.text)")
            #expect(lines.filter { $0.hasPrefix("denied") }.count == 3)
            #expect(lines.last == "['lo']")
            #expect(try String(contentsOf: work.appending(path: "out.txt"), encoding: .utf8) == "written")
        }
    }

    @Test func theWallClockStopsARunawayCommand() async throws {
        let sandboxed = try await Self.command()
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let root = temporary.url
        do {
            let outcome = try await sandboxed.run(["/bin/sh", "-c", "sleep 30"], in: root, folders: [.init(root, writable: true)],
                                                  limits: .init(wallClockSeconds: 1))
            #expect(outcome.timedOut)
            #expect(outcome.durationSeconds < 15)
        }
    }

    @Test func anEmptyCommandIsATypedError() async throws {
        let sandboxed = try await Self.command()
        await #expect(throws: EnvError.self) {
            _ = try await sandboxed.run([], in: URL(fileURLWithPath: "/tmp"), folders: [])
        }
    }
}
