import Env
import EnvTesting
import Foundation
import Testing

@testable import ReActAgent

private let hasSandbox = FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")

@Suite("EnvClient over a real socket", .serialized, .enabled(if: hasSandbox, "the server needs bubblewrap"))
struct EnvClientTests {
    @Test func actionsAndTypedServerErrors() async throws {
        try await TestServer.with { server in
            let env = try EnvClient(endpoint: server.endpoint)
            defer { env.close() }
            #expect(try await env.health()["status"] == "ok")
            let tasks = try await env.listTasks()
            #expect(tasks.contains { $0.id == "penguins-species" && $0.metric == "macro_f1" && $0.higherIsBetter })
            await #expect(throws: EnvClientError.self) { _ = try await env.reset(task: "no-such-task", budget: .init(maxSteps: 1, timeLimitSeconds: 10, execTimeoutSeconds: 5)) }
            do {
                _ = try await env.step(session: "s_missing", action: .requestInfo, params: ["info_type": "overview"], execTimeoutSeconds: 5)
                Issue.record("expected NO_SUCH_SESSION")
            } catch let error as EnvClientError {
                #expect(error.serverCode == .noSuchSession)
            }
            let (session, first) = try await env.reset(task: "penguins-species", budget: .init(maxSteps: 2, timeLimitSeconds: 60, execTimeoutSeconds: 30))
            #expect(first.action == "reset" && first.stepsLeft == 2)
            let info = try await env.step(session: session, action: .requestInfo, params: ["info_type": "name"], execTimeoutSeconds: 30)
            #expect(info.infoContent == "penguins-species" && info.stepsUsed == 1)
            let closed = try await env.close(session: session)
            #expect(closed.terminated && closed.final != nil)
        }
    }

    @Test func manyRequestsInFlightAreMatchedByID() async throws {
        try await TestServer.with { server in
            let env = try EnvClient(endpoint: server.endpoint)
            defer { env.close() }
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { Int(try await env.health()["tasks"]?.numberValue ?? -1) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(results.count == 40 && Set(results).count == 1 && results[0] > 0)
        }
    }

    @Test func noServerMeansATimeoutNotAHang() async throws {
        let folder = try TemporaryDirectory("mledojo-nosrv")
        defer { folder.remove() }
        let env = try EnvClient(endpoint: "ipc://\(folder.url.path)/nobody.sock")
        let started = ContinuousClock.now
        await #expect(throws: EnvClientError.timeout(action: "health", seconds: 0.3)) { _ = try await env.health(timeoutSeconds: 0.3) }
        #expect(ContinuousClock.now - started < .seconds(2))
        // Closing fails whatever still waits, at once.
        let waiting = Task { try await env.health(timeoutSeconds: 30) }
        try await Task.sleep(for: .milliseconds(100))
        env.close()
        let result = await waiting.result
        #expect(throws: EnvClientError.closed) { _ = try result.get() }
    }

    @Test func aBadEndpointIsATypedError() {
        #expect(throws: EnvClientError.self) { _ = try EnvClient(endpoint: "bogus://nowhere") }
    }
}
