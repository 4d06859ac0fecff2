import Env
import Foundation

/// `LocalServer` with the repository's defaults: its tasks, its `.venv` and its `python/` runtime.
public enum TestServer {
    /// The configuration the CLI would build for `mledojo serve`, rooted in `directory`.
    public static func configuration(in directory: URL, tasks: URL = RepositoryPaths.tasks, endpoint: String? = nil) -> ServerConfiguration {
        LocalServer.configuration(in: directory, tasks: tasks, venv: RepositoryPaths.venv, runtime: RepositoryPaths.pythonRuntime,
                                  endpoint: endpoint)
    }

    /// Starts a server; the caller must `stop()` it.
    public static func start(tasks: URL = RepositoryPaths.tasks, endpoint: String? = nil) async throws -> LocalServer {
        try await LocalServer.start(tasks: tasks, venv: RepositoryPaths.venv, runtime: RepositoryPaths.pythonRuntime, endpoint: endpoint)
    }

    /// Starts a server, runs `body` with it, and stops it whether `body` succeeds or throws.
    public static func with<T: Sendable>(tasks: URL = RepositoryPaths.tasks, endpoint: String? = nil,
                                         _ body: (LocalServer) async throws -> T) async throws -> T {
        try await LocalServer.with(tasks: tasks, venv: RepositoryPaths.venv, runtime: RepositoryPaths.pythonRuntime,
                                   endpoint: endpoint, body)
    }
}
