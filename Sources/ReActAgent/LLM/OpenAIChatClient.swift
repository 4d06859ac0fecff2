import Foundation
import HTTPClient
import Wire

/// A client of the OpenAI chat-completions wire format over libcurl: one POST per attempt, retries
/// with exponential backoff on 429, 5xx and network errors, token usage from the `usage` field.
/// The API key goes into the Authorization header and nowhere else.
public final class OpenAIChatClient: ChatCompleting {
    public let endpoint: ChatEndpoint
    private let http: CurlHTTPClient

    public init(endpoint: ChatEndpoint, http: CurlHTTPClient = CurlHTTPClient()) throws(LLMError) {
        try endpoint.validate()
        self.endpoint = endpoint
        self.http = http
    }

    /// One completion for `messages`. `maxTokens` lowers the reply limit; `deadline` bounds every
    /// attempt and wait together (the episode's clock); `constraint` asks for JSON mode or tool calls.
    public func complete(_ messages: [ChatMessage], maxTokens: Int? = nil, deadline: ContinuousClock.Instant? = nil,
                         constraint: ReplyConstraint = .text) async throws(LLMError) -> ChatCompletion {
        let started = ContinuousClock.now
        let body = requestBody(messages, maxTokens: maxTokens, constraint: constraint)
        let promptCharacters = messages.reduce(0) { $0 + $1.content.utf8.count + $1.toolCalls.reduce(0) { $0 + $1.arguments.utf8.count } }
        var retries: [String] = []
        var attempt = 0
        while true {
            attempt += 1
            let timeout = try attemptTimeout(deadline: deadline, attempts: attempt - 1)
            let outcome = await send(body, timeout: timeout)
            switch outcome {
            case .success(let response) where (200...299).contains(response.status):
                do {
                    var completion = try ChatCompletion.decode(try JSONValue.decode(response.body), promptCharacters: promptCharacters)
                    completion.attempts = attempt
                    completion.retries = retries
                    completion.seconds = started.secondsElapsed
                    return completion
                } catch let error as LLMError {
                    throw error
                } catch {
                    throw .malformedResponse("the body is not JSON: \(excerpt(response.text))")
                }
            case .success(let response):
                let message = errorMessage(response)
                guard RetryPolicy.isRetryable(status: response.status), attempt < endpoint.retry.maxAttempts else {
                    throw .http(status: response.status, message: message, attempts: attempt)
                }
                retries.append("HTTP \(response.status): \(message)")
                let retryAfter = response.headers["retry-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                try await wait(endpoint.retry.delay(afterAttempt: attempt, retryAfter: retryAfter), deadline: deadline, attempts: attempt)
            case .failure(let error):
                if error == .cancelled || Task.isCancelled { throw .cancelled }
                guard error.isTransient, attempt < endpoint.retry.maxAttempts else {
                    if case .invalidRequest(let reason) = error { throw .invalidConfiguration(reason) }
                    if case .timedOut = error, let deadline, deadline <= .now { throw .deadlineReached(attempts: attempt) }
                    throw .transport(message: redact(error.description), attempts: attempt)
                }
                retries.append(redact(error.description))
                try await wait(endpoint.retry.delay(afterAttempt: attempt), deadline: deadline, attempts: attempt)
            }
        }
    }

    func requestBody(_ messages: [ChatMessage], maxTokens: Int?, constraint: ReplyConstraint = .text) -> Data {
        let limit = min(endpoint.maxReplyTokens, max(1, maxTokens ?? endpoint.maxReplyTokens))
        var body: [String: JSONValue] = [
            "model": .string(endpoint.model),
            "messages": .array(messages.map(\.json)),
            "temperature": .number(endpoint.temperature),
            "max_tokens": .number(Double(limit)),
            "stream": false,
        ]
        constraint.apply(to: &body)
        return JSONValue.object(body).encoded()
    }

    private func send(_ body: Data, timeout: Double) async -> Result<HTTPResponse, HTTPClientError> {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if let key = endpoint.apiKey { headers.append(("Authorization", "Bearer \(key.value)")) }
        let request = HTTPRequest(url: endpoint.completionsURL, headers: headers, body: body, timeoutSeconds: timeout,
                                  connectTimeoutSeconds: min(10, timeout))
        do {
            return .success(try await http.send(request))
        } catch let error as HTTPClientError {
            return .failure(error)
        } catch {
            return .failure(.transport(code: -1, message: "\(error)"))
        }
    }

    /// The time one attempt may take: the request timeout, or less when the deadline is nearer.
    private func attemptTimeout(deadline: ContinuousClock.Instant?, attempts: Int) throws(LLMError) -> Double {
        guard let deadline else { return endpoint.requestTimeoutSeconds }
        let left = deadline.secondsLeft
        guard left > 0.05 else { throw .deadlineReached(attempts: attempts) }
        return min(endpoint.requestTimeoutSeconds, left)
    }

    private func wait(_ seconds: Double, deadline: ContinuousClock.Instant?, attempts: Int) async throws(LLMError) {
        if let deadline, deadline.secondsLeft <= seconds { throw .deadlineReached(attempts: attempts) }
        do { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) } catch { throw .cancelled }
    }

    /// The error text of a non-2xx response: `error.message` of the JSON body if present, else the body.
    private func errorMessage(_ response: HTTPResponse) -> String {
        if let body = try? JSONValue.decode(response.body) {
            if let message = body["error"]?["message"]?.stringValue { return excerpt(message) }
            if let message = body["error"]?.stringValue ?? body["detail"]?.stringValue ?? body["message"]?.stringValue {
                return excerpt(message)
            }
        }
        let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : excerpt(text)
    }

    private func excerpt(_ text: String) -> String {
        redact(text.count > 300 ? String(text.prefix(300)) + "…" : text)
    }

    private func redact(_ text: String) -> String { endpoint.apiKey?.redact(text) ?? text }
}
