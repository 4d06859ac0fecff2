import ArgumentParser
import Env
import Foundation
import ZeroMQ

/// `mledojo tasks register`: publishes task folders to a running server through its admin endpoint.
struct TasksRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Publish task folders to a running server (register_task on its admin endpoint).",
        discussion: """
            Each folder must lie inside the server's tasks folder (symbolic links resolved). The server loads \
            it with the resolver it starts with (running the task's metric code) and serves it at once: \
            list_tasks shows it and reset accepts it, with no restart; open sessions go on. A task id already \
            served is refused unless --replace is given. Prints one line per folder (or JSON with --json); \
            exits 1 when any folder was refused.
            """)

    @Option(help: "The server's admin endpoint (serve --admin-bind; by default ipc://<folder of its --db>/admin.sock).")
    var admin: String
    @Option(help: "File holding the admin token (when the server was started with --admin-token-file).")
    var tokenFile: String?
    @Flag(help: "Replace a task the server already serves under the same id.")
    var replace = false
    @Option(help: "Seconds to wait for each reply (loading a task may grade its sample submission).")
    var timeout = 600
    @Flag(help: "Print each reply as a JSON line instead of a sentence.")
    var json = false
    @Argument(help: "Task folders, each inside the server's tasks folder.")
    var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one task folder") }
        guard timeout > 0 else { throw ValidationError("--timeout must be above 0") }
    }

    func run() async throws {
        let token = try tokenFile.map { try AdminEndpoint.readToken(ProjectPaths.resolve($0)) }
        let context = ZMQContext()
        let client = try BlockingClient(context: context, endpoint: admin, timeoutMilliseconds: timeout * 1000)
        defer { client.close() }
        var refused = 0
        for path in paths {
            var params: [String: JSONValue] = ["path": .string(ProjectPaths.resolve(path).standardizedFileURL.path)]
            if replace { params["replace"] = true }
            if let token { params["token"] = .string(token) }
            let reply = try client.reply(.registerTask, params: params)
            if json { Console.line(reply.encodedString()) }
            guard reply["ok"]?.boolValue == true, let task = reply["result"]?["task"] else {
                refused += 1
                if !json {
                    let error = reply["error"]
                    Console.error("\(path): \(error?["code"]?.stringValue ?? "?"): \(error?["message"]?.stringValue ?? "")")
                }
                continue
            }
            if !json {
                let verb = reply["result"]?["replaced"] == true ? "replaced" : "registered"
                let ready = task["ready"] == true ? "" : " (not prepared: reset refuses it until its data is)"
                Console.line("\(verb) \(task["id"]?.stringValue ?? "?"): \(task["title"]?.stringValue ?? "")\(ready)")
            }
        }
        if refused > 0 { throw ExitCode(1) }
    }
}
