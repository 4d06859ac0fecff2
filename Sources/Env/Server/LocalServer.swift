import Foundation

/// An `EnvServer` started in this process on a private `ipc://` endpoint in a fresh temporary folder,
/// which also holds its database and run folders and is removed by `stop()`. `mledojo agent run` starts
/// one when no server is given, and the tests start one each; clients still talk to it over ZeroMQ,
/// exactly as to a remote server.
public final class LocalServer: Sendable {
    public let server: EnvServer
    /// The server's own folder (socket, database, runs).
    public let directory: URL
    public let configuration: ServerConfiguration

    public var endpoint: String { server.endpoint }
    /// The admin endpoint (register_task), nil when disabled.
    public var adminEndpoint: String? { server.adminEndpoint }
    /// Tasks the server skipped while loading (with the reason).
    public var loadProblems: [String] { server.loadProblems }

    private init(server: EnvServer, directory: URL, configuration: ServerConfiguration) {
        self.server = server
        self.directory = directory
        self.configuration = configuration
    }

    /// The configuration `mledojo serve` builds, rooted in `directory`: the database and runs live
    /// there, `endpoint` defaults to `ipc://<directory>/env.sock` and the admin endpoint is
    /// `ipc://<directory>/admin.sock`.
    public static func configuration(in directory: URL, tasks: URL, venv: URL, runtime: URL,
                                     endpoint: String? = nil) -> ServerConfiguration {
        var configuration = ServerConfiguration(
            tasksDirectory: tasks, endpoint: endpoint ?? "ipc://\(directory.appending(path: "env.sock").path)",
            databasePath: directory.appending(path: "env.sqlite").path, runsDirectory: directory.appending(path: "runs"),
            pythonEnvironment: venv, runtimeDirectory: runtime)
        configuration.adminEndpoint = ServerConfiguration.defaultAdminEndpoint(databasePath: configuration.databasePath)
        return configuration
    }

    /// Starts a server on `tasks` with the virtual environment `venv` and the trusted runtime `runtime`,
    /// on `endpoint` if given (a tcp:// one, say); the caller must `stop()` it. `spareSessions`: sessions
    /// made ahead per task (0 for a server that plays one episode per task, where a spare is waste).
    public static func start(tasks: URL, venv: URL, runtime: URL, endpoint: String? = nil,
                             spareSessions: Int = 1) async throws -> LocalServer {
        // A short name: a unix socket path must stay under ~107 bytes.
        let directory = FileManager.default.temporaryDirectory
            .appending(path: "mledojo-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw EnvError(.internal, "cannot create \(directory.path): \(error)")
        }
        var configuration = configuration(in: directory, tasks: tasks, venv: venv, runtime: runtime, endpoint: endpoint)
        configuration.spareSessionsPerTask = spareSessions
        do {
            return LocalServer(server: try await EnvServer.start(configuration), directory: directory, configuration: configuration)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Starts a server, runs `body` with it, and stops it whether `body` succeeds or throws.
    public static func with<T: Sendable>(tasks: URL, venv: URL, runtime: URL, endpoint: String? = nil,
                                         _ body: (LocalServer) async throws -> T) async throws -> T {
        let server = try await start(tasks: tasks, venv: venv, runtime: runtime, endpoint: endpoint)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Shuts the server down and removes its folder.
    public func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}
