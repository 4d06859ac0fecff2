import Env
import EnvTesting
import Foundation
import HTTPClient
import Testing

@testable import ReActAgent

private let fastRetry = RetryPolicy(maxAttempts: 3, initialDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.2)

private func client(_ server: ScriptedLLMServer, timeout: Double = 5, key: String? = "sk-test-SECRET-42",
                    retry: RetryPolicy = fastRetry) throws(LLMError) -> OpenAIChatClient {
    try OpenAIChatClient(endpoint: ChatEndpoint(baseURL: server.baseURL, model: "gpt-4o-mini", apiKey: key.map(APIKey.init),
                                                requestTimeoutSeconds: timeout, retry: retry))
}

private let hello: [ChatMessage] = [.system("You are terse."), .user("Say hi.")]

@Suite("OpenAIChatClient against a scripted loopback server", .serialized)
struct LLMClientTests {
    @Test func aCompletionCarriesContentUsageAndTheWireFormat() async throws {
        try await ScriptedLLMServer.with([["content": "hi", "usage": ["prompt_tokens": 12, "completion_tokens": 3]]]) { server in
            let completion = try await client(server).complete(hello, maxTokens: 50)
            #expect(completion.content == "hi" && completion.attempts == 1 && completion.retries.isEmpty)
            #expect(completion.usage == TokenUsage(promptTokens: 12, completionTokens: 3))
            let request = try #require(server.requests().first)
            #expect(request["path"] == "/v1/chat/completions")
            #expect(request["headers"]?["Authorization"] == "Bearer sk-test-SECRET-42")
            #expect(request["body"]?["model"] == "gpt-4o-mini" && request["body"]?["max_tokens"] == 50 && request["body"]?["stream"] == false)
            #expect(request["body"]?["messages"] == [["role": "system", "content": "You are terse."], ["role": "user", "content": "Say hi."]])
        }
    }

    @Test func a429IsRetriedAfterItsRetryAfter() async throws {
        let script: [JSONValue] = [
            Scripted.status(429, body: #"{"error": {"message": "rate limited"}}"#, headers: ["Retry-After": "0"]), ["content": "ok"],
        ]
        try await ScriptedLLMServer.with(script) { server in
            let completion = try await client(server).complete(hello)
            #expect(completion.content == "ok" && completion.attempts == 2)
            #expect(completion.retries == ["HTTP 429: rate limited"])
        }
    }

    @Test func serverErrorsAreRetriedThenReportedWithTheirBody() async throws {
        let failing = Scripted.status(503, body: #"{"error": {"message": "overloaded"}}"#)
        try await ScriptedLLMServer.with([Scripted.status(500, body: "oops"), ["content": "recovered"]]) { server in
            let completion = try await client(server).complete(hello)
            #expect(completion.attempts == 2)
        }
        try await ScriptedLLMServer.with([failing, ["repeat_last": true]]) { server in
            await #expect(throws: LLMError.http(status: 503, message: "overloaded", attempts: 3)) { try await client(server).complete(hello) }
            #expect(server.requests().count == 3)
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        try await ScriptedLLMServer.with([Scripted.status(400, body: #"{"error": {"message": "bad model"}}"#), ["content": "never"]]) { server in
            await #expect(throws: LLMError.http(status: 400, message: "bad model", attempts: 1)) { try await client(server).complete(hello) }
        }
    }

    @Test func aSlowReplyTimesOutAndIsRetried() async throws {
        try await ScriptedLLMServer.with([Scripted.slow(3, ["content": "too late"]), ["content": "in time"]]) { server in
            let started = ContinuousClock.now
            let completion = try await client(server, timeout: 0.5).complete(hello)
            #expect(completion.content == "in time" && completion.attempts == 2)
            #expect(completion.retries.first?.contains("no complete response within 0.5 s") == true)
            #expect(ContinuousClock.now - started < .seconds(2.5))
        }
    }

    @Test func theEpisodeDeadlineBoundsAttemptsAndWaits() async throws {
        try await ScriptedLLMServer.with([Scripted.slow(3, ["content": "late"]), ["repeat_last": true]]) { server in
            let deadline = ContinuousClock.now + .milliseconds(600)
            await #expect(throws: LLMError.self) { try await client(server, timeout: 10).complete(hello, deadline: deadline) }
            #expect(ContinuousClock.now < deadline + .seconds(1))
        }
    }

    @Test func noServerIsATransportErrorAfterTheRetries() async throws {
        let endpoint = ChatEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", requestTimeoutSeconds: 2, retry: fastRetry)
        do {
            _ = try await OpenAIChatClient(endpoint: endpoint).complete(hello)
            Issue.record("expected a transport error")
        } catch {
            guard case .transport(let message, let attempts) = error else { Issue.record("\(error)"); return }
            #expect(attempts == 3)
            #expect(message.contains("127.0.0.1") && message.lowercased().contains("connect"), "curl's own words: \(message)")
        }
    }

    @Test func malformedCompletionsAreTypedErrors() async throws {
        try await ScriptedLLMServer.with([Scripted.status(200, body: "not json"), Scripted.status(200, body: #"{"choices": []}"#)]) { server in
            let chat = try client(server)
            await #expect(throws: LLMError.self) { try await chat.complete(hello) }
            await #expect(throws: LLMError.self) { try await chat.complete(hello) }
        }
    }

    @Test func missingUsageIsEstimated() async throws {
        try await ScriptedLLMServer.with([["content": "twelve chars", "usage": .null]]) { server in
            let usage = try await client(server).complete(hello).usage
            #expect(usage.estimated && usage.completionTokens == 3 && usage.promptTokens > 0)
        }
    }

    @Test func theKeyNeverAppearsInErrors() async throws {
        let echo = Scripted.status(401, body: #"{"error": {"message": "invalid key sk-test-SECRET-42"}}"#)
        try await ScriptedLLMServer.with([echo]) { server in
            do {
                _ = try await client(server).complete(hello)
            } catch let error as LLMError {
                #expect(!error.description.contains("SECRET") && error.description.contains("[redacted]"))
            }
        }
    }

    @Test func cancellingTheCallerAbortsTheTransfer() async throws {
        try await ScriptedLLMServer.with([Scripted.slow(5, ["content": "late"])]) { server in
            let chat = try client(server, timeout: 30)
            let started = ContinuousClock.now
            let task = Task { try await chat.complete(hello) }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            #expect(throws: LLMError.cancelled) { try result.get() }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }
}

@Suite("CurlHTTPClient")
struct CurlHTTPClientTests {
    @Test func badRequestsAreRefusedBeforeAnyTransfer() async {
        let http = CurlHTTPClient()
        await #expect(throws: HTTPClientError.self) { try await http.send(HTTPRequest(url: "file:///etc/passwd")) }
        await #expect(throws: HTTPClientError.self) {
            try await http.send(HTTPRequest(url: "http://127.0.0.1:9/", headers: [("X-Evil", "a\r\nHost: b")]))
        }
        await #expect(throws: HTTPClientError.self) { try await http.send(HTTPRequest(url: "http://127.0.0.1:9/", timeoutSeconds: 0)) }
    }

    @Test func anOversizedResponseIsCutOff() async throws {
        try await ScriptedLLMServer.with([Scripted.status(200, body: String(repeating: "x", count: 100_000))]) { server in
            let request = HTTPRequest(url: server.baseURL + "/chat/completions", body: Data("{}".utf8), maxResponseBytes: 1000)
            await #expect(throws: HTTPClientError.responseTooLarge(limit: 1000)) { try await CurlHTTPClient().send(request) }
        }
    }

    @Test func headersAndStatusComeBack() async throws {
        try await ScriptedLLMServer.with([Scripted.status(418, body: "teapot", headers: ["X-Test": "yes"])]) { server in
            let response = try await CurlHTTPClient().send(HTTPRequest(url: server.baseURL + "/chat/completions", body: Data("{}".utf8)))
            #expect(response.status == 418 && response.text == "teapot" && response.headers["x-test"] == "yes")
        }
    }
}
