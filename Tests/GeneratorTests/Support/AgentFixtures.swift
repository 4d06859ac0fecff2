import Env
import EnvTesting
import Foundation
import ReActAgent
import Synchronization
import Wire

@testable import Generator

/// Helpers shared by the agent suites: workspaces over temporary folders and a log of the turns an agent
/// hands to `onTurn`.
enum AgentFixtures {
    /// A sandbox that is never probed: enough for file tools, which do not run it.
    static var unprobedShell: SandboxedCommand {
        SandboxedCommand(sandbox: Sandbox(mode: .bubblewrap, bubblewrap: "/usr/bin/bwrap", setpriv: nil,
                                          pythonEnvironment: RepositoryPaths.venv, workerDirectory: RepositoryPaths.pythonRuntime))
    }

    /// The real sandbox of this host (bubblewrap), as `mledojo generate` probes it.
    static func probedShell() async throws -> SandboxedCommand {
        let venv = RepositoryPaths.venv
        let (sandbox, _) = try await Sandbox.probed(bubblewrap: "/usr/bin/bwrap", python: venv.appending(path: "bin/python").path,
                                                    pythonEnvironment: venv, workerDirectory: RepositoryPaths.pythonRuntime)
        return SandboxedCommand(sandbox: sandbox)
    }

    /// A workspace rooted at `root` (created), reading `readable` too.
    static func workspace(_ root: URL, readable: [URL] = [], shell: SandboxedCommand = unprobedShell,
                          writable: Bool = true) throws -> AgentWorkspace {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return AgentWorkspace(root: root, readable: readable, shell: shell, venv: RepositoryPaths.venv,
                              runtime: RepositoryPaths.pythonRuntime, writable: writable)
    }

    /// An `accept` that takes any `finish` arguments as they are.
    static let acceptAnything: @Sendable (JSONValue) async -> Result<JSONValue, ToolArgumentError> = { .success($0) }
}

/// The turns an agent reported through `onTurn`, in order.
final class TurnLog: Sendable {
    private let turns = Mutex<[AgentTurn]>([])

    func record(_ turn: AgentTurn) { turns.withLock { $0.append(turn) } }
    var all: [AgentTurn] { turns.withLock { $0 } }
}
