import EnvTesting
import Foundation
import SQLite
import Testing

@testable import Env

/// A tasks folder holding a copy of the bundled `penguins-species` (prepared data included), removed by `remove()`.
struct ServedTasks {
    let folder: TemporaryDirectory
    var url: URL { folder.url }

    init() throws {
        folder = try TemporaryDirectory("mledojo-tasks")
        try copy(as: "penguins-species")
    }

    /// Copies the bundled penguins-species task to `<tasks>/<id>` with its task.json id set to `id`; returns the folder.
    @discardableResult
    func copy(as id: String, metric: String? = nil) throws -> URL {
        let target = url.appending(path: id)
        try FileManager.default.copyItem(at: RepositoryPaths.tasks.appending(path: "penguins-species"), to: target)
        let manifest = target.appending(path: "task.json")
        guard case .object(var fields) = try JSONValue.decode(try Data(contentsOf: manifest)) else {
            throw EnvError(.internal, "task.json is not an object")
        }
        fields["id"] = .string(id)
        try JSONValue.object(fields).encoded().write(to: manifest)
        if let metric { try Data(metric.utf8).write(to: target.appending(path: "metric.py")) }
        return target
    }

    func remove() { folder.remove() }
}

@Suite("Admin endpoint", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"),
                                  "the server refuses to start without bubblewrap (/usr/bin/bwrap)"))
struct AdminEndpointTests {
    /// Starts a server on a tasks folder of its own and runs `body` with it and a client on each endpoint.
    private func withServer<T: Sendable>(_ body: (LocalServer, ServedTasks, _ admin: DealerClient, _ public: DealerClient) async throws -> T)
        async throws -> T {
        let tasks = try ServedTasks()
        defer { tasks.remove() }
        return try await TestServer.with(tasks: tasks.url) { server in
            let adminEndpoint = try #require(server.adminEndpoint)
            return try await body(server, tasks, try DealerClient(endpoint: adminEndpoint, receiveTimeoutMilliseconds: 120_000),
                                  try DealerClient(endpoint: server.endpoint))
        }
    }

    private func taskIDs(_ client: DealerClient) async throws -> [String] {
        try await client.call("list_tasks")["result"]?["tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @Test func registersATaskThatListTasksShowsAtOnce() async throws {
        try await withServer { server, tasks, admin, client in
            #expect(try await taskIDs(client) == ["penguins-species"])
            let folder = try tasks.copy(as: "penguins-copy")
            let reply = try await admin.call("register_task", params: ["path": .string(folder.path)])
            #expect(reply["ok"] == true, "\(reply)")
            #expect(reply["result"]?["task"]?["id"] == "penguins-copy" && reply["result"]?["task"]?["ready"] == true)
            #expect(reply["result"]?["replaced"] == false)
            #expect(try await taskIDs(client) == ["penguins-copy", "penguins-species"])
            #expect(try await client.call("health")["result"]?["tasks"] == 2)
            #expect(try await admin.call("list_tasks")["result"]?["tasks"]?.arrayValue?.count == 2)
            let recorded = try SQLiteDatabase(path: server.configuration.databasePath)
                .query("SELECT path FROM tasks WHERE id = ?", [.text("penguins-copy")]).first?["path"]?.text
            #expect(recorded == folder.resolvingSymlinksInPath().path)
            // A session on it plays: reset, then the sample submission graded.
            let reset = try await client.call("reset", params: ["task": "penguins-copy", "budget": ["max_steps": 3]])
            let session = try #require(reset["result"]?["session"]?.stringValue, "\(reset)")
            let sample = try String(contentsOf: folder.appending(path: "data/public/sample_submission.csv"), encoding: .utf8)
            let graded = try await client.call("evaluate", session: session, params: ["submission": .string(sample)])
            #expect(graded["result"]?["result"]?["submission"]?["status"] == "SUCCESS", "\(graded)")
        }
    }

    @Test func thePublicEndpointRefusesRegisterTask() async throws {
        try await withServer { _, tasks, _, client in
            let folder = try tasks.copy(as: "penguins-copy")
            let reply = try await client.call(["v": 1, "id": "r1", "action": "register_task", "params": ["path": .string(folder.path)]])
            #expect(reply["ok"] == false && reply["id"] == "r1")
            #expect(reply["error"]?["code"] == "FORBIDDEN", "\(reply)")
            #expect(reply["error"]?["message"]?.stringValue?.contains("admin endpoint") == true)
            #expect(try await taskIDs(client) == ["penguins-species"])
        }
    }

    @Test func aPathOutsideTheTasksFolderIsRefused() async throws {
        try await withServer { server, tasks, admin, client in
            let outside = try TemporaryDirectory("mledojo-outside")
            defer { outside.remove() }
            let elsewhere = outside.url.appending(path: "penguins-copy")
            try FileManager.default.copyItem(at: RepositoryPaths.tasks.appending(path: "penguins-species"), to: elsewhere)
            let link = tasks.url.appending(path: "linked")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: elsewhere)
            for path in [elsewhere.path, link.path, tasks.url.path, tasks.url.path + "/../" + outside.url.lastPathComponent,
                         "penguins-species", tasks.url.appending(path: "missing").path] {
                let reply = try await admin.call("register_task", params: ["path": .string(path)])
                #expect(reply["error"]?["code"] == "BAD_REQUEST", "\(path): \(reply)")
            }
            let missing = try await admin.call("register_task")
            #expect(missing["error"]?["code"] == "BAD_REQUEST")
            #expect(try await taskIDs(client) == ["penguins-species"])
            _ = server
        }
    }

    @Test func aServedIDIsReplacedOnlyWhenAsked() async throws {
        try await withServer { _, tasks, admin, client in
            let folder = tasks.url.appending(path: "penguins-species")
            let refused = try await admin.call("register_task", params: ["path": .string(folder.path)])
            #expect(refused["error"]?["code"] == "BAD_REQUEST", "\(refused)")
            #expect(refused["error"]?["message"]?.stringValue?.contains("replace") == true)
            let replaced = try await admin.call("register_task", params: ["path": .string(folder.path), "replace": true])
            #expect(replaced["ok"] == true && replaced["result"]?["replaced"] == true, "\(replaced)")
            let badFlag = try await admin.call("register_task", params: ["path": .string(folder.path), "replace": "yes"])
            #expect(badFlag["error"]?["code"] == "BAD_REQUEST")
            #expect(try await taskIDs(client) == ["penguins-species"])
        }
    }

    @Test func aBrokenTaskIsRefusedWithTheResolversReason() async throws {
        try await withServer { _, tasks, admin, client in
            let folder = try tasks.copy(as: "broken-task", metric: "raise RuntimeError('metric exploded on import')\n")
            let reply = try await admin.call("register_task", params: ["path": .string(folder.path)])
            #expect(reply["error"]?["code"] == "BAD_REQUEST", "\(reply)")
            #expect(reply["error"]?["message"]?.stringValue?.contains("metric exploded") == true, "\(reply)")
            #expect(try await client.call("health")["result"]?["status"] == "ok")
            #expect(try await taskIDs(client) == ["penguins-species"])
        }
    }

    @Test func otherActionsAreRefusedOnTheAdminEndpoint() async throws {
        try await withServer { _, _, admin, _ in
            let reset = try await admin.call("reset", params: ["task": "penguins-species"])
            #expect(reset["error"]?["code"] == "BAD_REQUEST", "\(reset)")
            let unknown = try await admin.call("dance")
            #expect(unknown["error"]?["code"] == "UNKNOWN_ACTION")
            #expect(try await admin.call("health")["result"]?["status"] == "ok")
        }
    }

    @Test func theSocketFileIsTheServersUsersOnly() async throws {
        try await withServer { server, _, _, _ in
            let endpoint = try #require(server.adminEndpoint)
            #expect(endpoint == "ipc://\(server.directory.appending(path: "admin.sock").path)")
            let attributes = try FileManager.default.attributesOfItem(atPath: String(endpoint.dropFirst("ipc://".count)))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == geteuid())
        }
    }

    /// A session steps while a task is registered: both are answered, the session undisturbed.
    @Test func aSessionStepsWhileATaskIsRegistered() async throws {
        try await withServer { _, tasks, admin, client in
            let reset = try await client.call("reset", params: ["task": "penguins-species", "budget": ["max_steps": 5]])
            let session = try #require(reset["result"]?["session"]?.stringValue, "\(reset)")
            let folder = try tasks.copy(as: "penguins-copy")
            async let registered = admin.call("register_task", params: ["path": .string(folder.path)])
            async let stepped = client.call("validate_code", session: session, params: ["code": "print(6 * 7)"])
            let (registration, step) = try await (registered, stepped)
            #expect(registration["ok"] == true, "\(registration)")
            #expect(step["result"]?["result"]?["execution"]?["stdout"] == "42\n", "\(step.encodedString())")
            let info = try await client.call("request_info", session: session, params: ["info_type": "name"])
            #expect(info["result"]?["result"]?["info"]?["content"] == "penguins-species")
            #expect(info["result"]?["budget"]?["steps_used"] == 2)
        }
    }

    /// Agent code sees neither the admin socket nor its folder, and cannot connect to it.
    @Test func agentCodeCannotReachTheAdminSocket() async throws {
        try await withServer { server, _, _, client in
            let socketPath = String(try #require(server.adminEndpoint).dropFirst("ipc://".count))
            let probe = try String(contentsOf: RepositoryPaths.root.appending(path: "Tests/Fixtures/probes/admin_socket.py"), encoding: .utf8)
            let code = "PATH = \(JSONValue.string(socketPath).encodedString())\n" + probe
            let reset = try await client.call("reset", params: ["task": "penguins-species"])
            let session = try #require(reset["result"]?["session"]?.stringValue, "\(reset)")
            let run = try await client.call("validate_code", session: session, params: ["code": .string(code)])
            let stdout = try #require(run["result"]?["result"]?["execution"]?["stdout"]?.stringValue, "\(run.encodedString())")
            let report = try JSONValue.decode(Data(stdout.utf8))
            #expect(report["socket"] == false && report["folder"] == false, "\(report)")
            #expect(report["connect"] != "connected" && report["zmq_reply"] == false, "\(report)")
        }
    }
}
