import EnvTesting
import Foundation
import Testing

@testable import Env

/// What `AdminEndpoint` refuses before a server binds it: the checks that keep it the operator's only.
@Suite("Admin endpoint checks")
struct AdminEndpointCheckTests {
    private func folder(mode: mode_t) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory("mledojo-admin")
        chmod(folder.url.path, mode)
        return folder
    }

    private func tokenFile(in folder: URL, mode: mode_t, token: String = "0123456789abcdef0123") throws -> URL {
        let file = folder.appending(path: "token")
        try Data((token + "\n").utf8).write(to: file)
        chmod(file.path, mode)
        return file
    }

    @Test func aTCPEndpointNeedsAToken() throws {
        #expect(throws: EnvError.self) { try AdminEndpoint(endpoint: "tcp://127.0.0.1:7777", tokenFile: nil) }
        let folder = try folder(mode: 0o700)
        defer { folder.remove() }
        let admin = try AdminEndpoint(endpoint: "tcp://127.0.0.1:7777", tokenFile: try tokenFile(in: folder.url, mode: 0o600))
        #expect(admin.token == "0123456789abcdef0123" && admin.socketPath == nil)
    }

    @Test func aTokenFileOthersCanReadIsRefused() throws {
        let folder = try folder(mode: 0o700)
        defer { folder.remove() }
        for mode: mode_t in [0o644, 0o640, 0o604] {
            let file = try tokenFile(in: folder.url, mode: mode)
            #expect(throws: EnvError.self) { try AdminEndpoint(endpoint: "tcp://127.0.0.1:7777", tokenFile: file) }
        }
        let short = try tokenFile(in: folder.url, mode: 0o600, token: "short")
        #expect(throws: EnvError.self) { try AdminEndpoint(endpoint: "tcp://127.0.0.1:7777", tokenFile: short) }
    }

    @Test func otherEndpointKindsAreRefused() {
        for endpoint in ["inproc://admin", "ipc://relative/admin.sock", "udp://x", "ipc:///" + String(repeating: "a", count: 120)] {
            #expect(throws: EnvError.self, "\(endpoint)") { try AdminEndpoint(endpoint: endpoint, tokenFile: nil) }
        }
    }

    @Test func aWorldWritableFolderIsRefused() throws {
        let folder = try folder(mode: 0o777)
        defer { folder.remove() }
        let admin = try AdminEndpoint(endpoint: "ipc://\(folder.url.path)/admin.sock", tokenFile: nil)
        #expect(throws: EnvError.self) { try admin.checkBeforeBind(sandboxFolders: []) }
        chmod(folder.url.path, 0o755)
        try admin.checkBeforeBind(sandboxFolders: [])
    }

    @Test func aFolderTheSandboxMountsIsRefused() throws {
        let folder = try folder(mode: 0o755)
        defer { folder.remove() }
        let runs = folder.url.appending(path: "runs")
        try FileManager.default.createDirectory(at: runs.appending(path: "s1"), withIntermediateDirectories: true)
        for inside in [runs, runs.appending(path: "s1")] {
            let admin = try AdminEndpoint(endpoint: "ipc://\(inside.path)/admin.sock", tokenFile: nil)
            #expect(throws: EnvError.self) { try admin.checkBeforeBind(sandboxFolders: [runs]) }
        }
        // Beside the runs folder (its parent is not mounted) is fine.
        try AdminEndpoint(endpoint: "ipc://\(folder.url.path)/admin.sock", tokenFile: nil).checkBeforeBind(sandboxFolders: [runs])
    }

    @Test func theSandboxMountsNoFolderAboveTheDefaultAdminSocket() {
        let sandbox = Sandbox(mode: .bubblewrap, bubblewrap: "/usr/bin/bwrap", setpriv: nil, pythonEnvironment: RepositoryPaths.venv,
                              workerDirectory: RepositoryPaths.pythonRuntime.appending(path: "mledojo_sandbox"))
        let visible = sandbox.hostFoldersVisible(tasks: URL(fileURLWithPath: "/srv/tasks"), runs: URL(fileURLWithPath: "/srv/var/runs"))
        #expect(visible.map(\.path).contains("/srv/var/runs") && visible.map(\.path).contains("/srv/tasks"))
        #expect(!visible.map(\.path).contains("/srv/var"))
        #expect(ServerConfiguration.defaultAdminEndpoint(databasePath: "/srv/var/mledojo.sqlite") == "ipc:///srv/var/admin.sock")
    }

    @Test func tokensAreComparedWhole() {
        #expect(AdminEndpoint.tokensMatch("0123456789abcdef", "0123456789abcdef"))
        for given in ["", "0123456789abcde", "0123456789abcdef0", "1123456789abcdef", "0123456789abcdeF"] {
            #expect(!AdminEndpoint.tokensMatch(given, "0123456789abcdef"), "\(given)")
        }
    }
}
