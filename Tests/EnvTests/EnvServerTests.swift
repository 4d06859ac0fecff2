import EnvTesting
import Foundation
import SQLite
import Testing
import ZeroMQ

@testable import Env

/// The task ids of the repository's tasks folder, read from disk.
private func quoted(_ text: String) -> String { JSONValue.string(text).encodedString() }

private func repositoryTaskIDs() -> Set<String> {
    let folders = (try? FileManager.default.contentsOfDirectory(at: RepositoryPaths.tasks, includingPropertiesForKeys: nil)) ?? []
    // The repository's tasks are all in our layout: a task.json at the top.
    let tasks = folders.filter { FileManager.default.fileExists(atPath: $0.appending(path: "task.json").path) }
    return Set(tasks.map(\.lastPathComponent))
}

@Suite("EnvServer end to end", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"),
                                        "the server refuses to start without bubblewrap (/usr/bin/bwrap)"))
struct EnvServerTests {
    @Test func answersOverARealSocket() async throws {
        let folder = try await TestServer.with { server in
            try await exchange(with: server)
            return server.directory
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    private func exchange(with server: LocalServer) async throws {
        #expect(server.endpoint.hasPrefix("ipc://"))
        #expect(server.server.loadProblems.isEmpty, "\(server.server.loadProblems)")
        let client = try DealerClient(endpoint: server.endpoint)
        let expectedTasks = repositoryTaskIDs()

        let health = try await client.call(["v": 1, "id": "h1", "action": "health"])
        #expect(health["v"] == 1 && health["id"] == "h1" && health["ok"] == true)
        #expect(health["result"]?["status"] == "ok")
        #expect(health["result"]?["protocol"] == 1)
        #expect(health["result"]?["version"] == .string(EnvService.version))
        #expect(health["result"]?["tasks"] == .number(Double(expectedTasks.count)))
        #expect(health["result"]?["sessions"] == ["open": 0, "total": 0])
        #expect(health["result"]?["sandbox"] == "bubblewrap")

        let list = try await client.call(["v": 1, "id": "l1", "action": "list_tasks"])
        #expect(list["ok"] == true && list["id"] == "l1")
        let tasks = try #require(list["result"]?["tasks"]?.arrayValue)
        #expect(Set(tasks.compactMap { $0["id"]?.stringValue }) == expectedTasks)
        for task in tasks {
            #expect(task["ready"] == true, "task \(task["id"]?.stringValue ?? "?") has no prepared data (make prepare)")
            #expect(task["higher_is_better"]?.boolValue != nil && task["metric"]?.stringValue != nil)
        }

        let garbage = try JSONValue.decode(try await client.exchange(Data("this is not json".utf8)))
        #expect(garbage["ok"] == false && garbage["id"] == .null && garbage["v"] == 1)
        #expect(garbage["error"]?["code"] == "BAD_REQUEST")

        let unknown = try await client.call(["v": 1, "id": "u1", "action": "dance"])
        #expect(unknown["ok"] == false && unknown["id"] == "u1")
        #expect(unknown["error"]?["code"] == "UNKNOWN_ACTION")
        #expect(unknown["error"]?["message"]?.stringValue?.contains("dance") == true)

        let version = try await client.call(["v": 2, "id": "v2", "action": "health"])
        #expect(version["error"]?["code"] == "UNSUPPORTED_VERSION" && version["id"] == "v2")

        let noSession = try await client.call("get_history", session: "no-such-session")
        #expect(noSession["error"]?["code"] == "NO_SUCH_SESSION")

        // A session round trip that needs neither the grader nor the sandbox: reset, history, close.
        let taskID = try #require(expectedTasks.sorted().first)
        let reset = try await client.call("reset", params: ["task": .string(taskID), "budget": ["max_steps": 3]])
        #expect(reset["ok"] == true, "\(reset)")
        let session = try #require(reset["result"]?["session"]?.stringValue)
        let history = try await client.call("get_history", session: session)
        #expect(history["result"]?["steps"]?.arrayValue?.count == 1)
        let after = try await client.call("health")
        #expect(after["result"]?["sessions"] == ["open": 1, "total": 1])
        let close = try await client.call("close", session: session)
        #expect(close["ok"] == true, "\(close)")
        let closed = try await client.call("request_info", session: session, params: ["info_type": "overview"])
        #expect(closed["error"]?["code"] == "SESSION_CLOSED")
    }

    /// The sandbox seen through the protocol only, so it holds whatever the Sandbox type's API becomes.
    @Test func agentCodeRunsSandboxedThroughTheProtocol() async throws {
        let code = """
            import json, os
            def attempt(path):
                try:
                    with open(path, "w") as f: f.write("x")
                    return "written"
                except OSError as e:
                    return type(e).__name__
            print(json.dumps({"uid": os.getuid(), "data_write": attempt("/data/new.csv"),
                "workspace_write": attempt("/workspace/note.txt"), "data": sorted(os.listdir("/data")),
                "root": os.path.exists("/root"), "tasks": os.path.exists(\(quoted(RepositoryPaths.tasks.path))),
                "environ": dict(os.environ)}))
            """
        let report = try await TestServer.with { server in
            let client = try DealerClient(endpoint: server.endpoint)
            let reset = try await client.call("reset", params: ["task": "penguins-species"])
            let session = try #require(reset["result"]?["session"]?.stringValue, "\(reset)")
            let run = try await client.call("validate_code", session: session, params: ["code": .string(code)])
            let execution = try #require(run["result"]?["result"]?["execution"], "\(run)")
            try #require(execution["status"] == "SUCCESS", "\(execution)")
            let line = try #require(execution["stdout"]?.stringValue?.split(separator: "\n").last)
            let readBack = try await client.call("validate_code", session: session,
                                                 params: ["code": "print(open('/workspace/note.txt').read())"])
            #expect(readBack["result"]?["result"]?["execution"]?["stdout"] == "x\n", "the workspace keeps files between runs")
            return try JSONValue.decode(Data(line.utf8))
        }
        // A root server drops each session to a uid of its own; otherwise the user namespace shows 65534.
        if getuid() == 0 {
            #expect((report["uid"]?.numberValue ?? 0) >= 200_000, "\(report)")
        } else {
            #expect(report["uid"] == 65534)
        }
        #expect(report["data_write"] != "written")
        #expect(report["workspace_write"] == "written")
        #expect(report["data"]?.arrayValue?.contains("train.csv") == true)
        #expect(report["root"] == false && report["tasks"] == false)
        let inside = try #require(report["environ"]?.objectValue)
        let generic: Set = ["PATH", "HOME", "LANG", "PWD", "TMPDIR", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "SHLVL", "_"]
        let leaked = ProcessInfo.processInfo.environment.keys.filter { !generic.contains($0) && inside[$0] != nil }
        #expect(leaked.isEmpty, "test-process variables inside the sandbox: \(leaked)")
        #expect(inside["HOME"] != .string(NSHomeDirectory()))
    }

    /// A step is stored with the very bytes of the reply the client received.
    @Test func aStepIsStoredAsItWasAnswered() async throws {
        let (wire, stored) = try await TestServer.with { server in
            let client = try DealerClient(endpoint: server.endpoint)
            let reset = try await client.call("reset", params: ["task": "penguins-species"])
            let session = try #require(reset["result"]?["session"]?.stringValue, "\(reset)")
            let request: JSONValue = ["v": 1, "id": "info-1", "action": "request_info", "session": .string(session),
                                      "params": ["info_type": "overview"]]
            let wire = try await client.exchange(request.encoded())
            let rows = try SQLiteDatabase(path: server.configuration.databasePath)
                .query("SELECT reply FROM steps WHERE session_id = ? AND seq = 2", [.text(session)])
            return (wire, rows.first?["reply"]?.text)
        }
        #expect(try JSONValue.decode(wire)["ok"] == true)
        #expect(stored == String(decoding: wire, as: UTF8.self))
    }

    @Test func twoClientsAreAnsweredSeparately() async throws {
        let (replyA, replyB) = try await TestServer.with { server in
            let first = try DealerClient(endpoint: server.endpoint)
            let second = try DealerClient(endpoint: server.endpoint)
            async let a = first.call(["v": 1, "id": "from-first", "action": "health"])
            async let b = second.call(["v": 1, "id": "from-second", "action": "list_tasks"])
            return try await (a, b)
        }
        #expect(replyA["id"] == "from-first" && replyA["result"]?["status"] == "ok")
        #expect(replyB["id"] == "from-second" && replyB["result"]?["tasks"] != nil)
    }

    @Test func aWildcardTCPEndpointIsResolved() async throws {
        let (endpoint, reply) = try await TestServer.with(endpoint: "tcp://127.0.0.1:*") { server in
            (server.endpoint, try await DealerClient(endpoint: server.endpoint).call("health"))
        }
        let port = Int(endpoint.split(separator: ":").last ?? "") ?? 0
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && port > 0)
        #expect(reply["ok"] == true)
    }

    // (ipc:// is not used here: libzmq unlinks and takes over a socket file already bound by another process.)
    @Test func bindingATakenTCPPortFailsToStart() async throws {
        let server = try await TestServer.start(endpoint: "tcp://127.0.0.1:*")
        let folder = try TemporaryDirectory("mledojo-srv")
        let configuration = TestServer.configuration(in: folder.url, endpoint: server.endpoint)
        var thrown: EnvError?
        do {
            let second = try await EnvServer.start(configuration)
            await second.shutdown()
        } catch let error as EnvError {
            thrown = error
        }
        await server.stop()
        folder.remove()
        #expect(thrown?.code == .internal)
        #expect(thrown?.message.contains("cannot bind \(server.endpoint)") == true, "\(String(describing: thrown))")
    }
}
