import ArgumentParser
import Env
import Foundation

/// Where a command that plays episodes finds its server: the `--server` it was given, or an in-process
/// server started on a tasks folder (stopped by `stop()`). Shared by `agent run` and `eval run`.
struct ServerEndpoint {
    let endpoint: String
    /// The in-process server, when one was started.
    let local: LocalServer?

    /// `server` when given, else a new in-process server on `tasks`; progress through `say`, failures
    /// printed as `command: …` and turned into exit status 2.
    static func open(server: String?, tasks: String, venv: String, runtime: String, command: String,
                     say: (String) -> Void) async throws -> ServerEndpoint {
        if let server { return ServerEndpoint(endpoint: server, local: nil) }
        say("\(command): starting an in-process server on \(tasks) …")
        do {
            let started = try await LocalServer.start(
                tasks: ProjectPaths.resolve(tasks), venv: ProjectPaths.resolve(venv), runtime: ProjectPaths.resolve(runtime))
            for problem in started.loadProblems { say("\(command): the server skipped task \(problem)") }
            return ServerEndpoint(endpoint: started.endpoint, local: started)
        } catch {
            Console.error("\(command): in-process server: \(error)")
            throw ExitCode(2)
        }
    }

    func stop() async { await local?.stop() }
}
