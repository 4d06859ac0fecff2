import CCurl
import Foundation
import Synchronization

/// An HTTP client over libcurl. `curl_easy_perform` blocks, so each request runs on a thread of its
/// own (never on Swift's cooperative pool) and is bridged back with a continuation; cancelling the
/// calling task aborts the transfer. Safe to share: a request touches only its own curl handle.
public final class CurlHTTPClient: Sendable {
    public init() {
        _ = CurlHTTPClient.globalInit
    }

    /// libcurl's process-wide set-up, done once before the first handle exists.
    private static let globalInit: Bool = ccurl_global_init_default() == CURLE_OK

    /// Sends `request` and returns the response, whatever its status code. Throws `HTTPClientError`
    /// when no complete response arrived.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Self.validate(request)
        let transfer = CurlTransfer(maxBytes: request.maxResponseBytes)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, Error>) in
                let thread = Thread {
                    continuation.resume(with: Result { try transfer.perform(request) })
                }
                thread.name = "curl-request"
                thread.start()
            }
        } onCancel: {
            transfer.cancel()
        }
    }

    private static func validate(_ request: HTTPRequest) throws {
        guard let scheme = request.url.split(separator: ":", maxSplits: 1).first?.lowercased(),
              scheme == "http" || scheme == "https" else {
            throw HTTPClientError.invalidRequest("the URL must start with http:// or https://: '\(request.url)'")
        }
        for header in request.headers {
            let line = header.name + header.value
            guard !line.contains("\r"), !line.contains("\n"), !header.name.isEmpty, !header.name.contains(":") else {
                throw HTTPClientError.invalidRequest("header '\(header.name)' has an empty name, a colon or a line break")
            }
        }
        guard request.timeoutSeconds > 0, request.timeoutSeconds.isFinite else {
            throw HTTPClientError.invalidRequest("the timeout must be a positive number of seconds")
        }
        let method = request.method.uppercased()
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter }) else {
            throw HTTPClientError.invalidRequest("invalid method '\(request.method)'")
        }
    }
}

/// The state of one transfer, touched by libcurl's callbacks on the request's thread; only the
/// cancellation flag is shared with other threads.
final class CurlTransfer: Sendable {
    private let maxBytes: Int
    private let cancelled = Atomic<Bool>(false)
    private let received = Mutex(Received())

    /// What the callbacks collected so far.
    struct Received {
        var body = Data()
        var headerLines: [String] = []
        var tooLarge = false
    }

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        received.withLock { state in
            guard state.body.count + bytes.count <= maxBytes else { state.tooLarge = true; return false }
            state.body.append(contentsOf: bytes)
            return true
        }
    }

    fileprivate func appendHeader(_ line: String) {
        received.withLock { state in
            // A new status line starts a new header block (after a redirect or a 100 Continue).
            if line.hasPrefix("HTTP/") { state.headerLines = [] }
            state.headerLines.append(line)
        }
    }

    /// Runs the transfer to completion on the calling thread.
    func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let handle = curl_easy_init() else { throw HTTPClientError.transport(code: -1, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        // An empty "Expect:" stops libcurl waiting a second for "100 Continue" on larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        defer { curl_slist_free_all(headerList) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let method = request.method.uppercased()
        let code: CURLcode = request.body.withUnsafeBytes { body in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                ccurl_setopt_string(handle, CURLOPT_URL, request.url)
                ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeoutSeconds * 1000))
                ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(max(0.001, min(request.connectTimeoutSeconds, request.timeoutSeconds)) * 1000))
                ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                if method == "GET" && body.isEmpty {
                    ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                } else {
                    ccurl_setopt_long(handle, CURLOPT_POST, 1)
                    ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(errors.baseAddress!)))
                    if method != "POST" { ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method) }
                }
                ccurl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                    guard let user else { return 0 }
                    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
                    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
                    return transfer.appendBody(bytes) ? size * count : 0
                }
                ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
                ccurl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                    guard let user else { return 0 }
                    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
                    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
                    transfer.appendHeader(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                    return size * count
                }
                ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
                ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                ccurl_setopt_xferinfo_function(handle) { user, _, _, _, _ in
                    guard let user else { return 0 }
                    return Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue().isCancelled ? 1 : 0
                }
                ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
                return curl_easy_perform(handle)
            }
        }
        let state = received.withLock { $0 }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw failure(code, detail: detail, request: request, tooLarge: state.tooLarge)
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: Self.parseHeaders(state.headerLines), body: state.body)
    }

    private func failure(_ code: CURLcode, detail: String, request: HTTPRequest, tooLarge: Bool) -> HTTPClientError {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timedOut(seconds: request.timeoutSeconds)
        case CURLE_ABORTED_BY_CALLBACK: return .cancelled
        case CURLE_WRITE_ERROR where tooLarge: return .responseTooLarge(limit: request.maxResponseBytes)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidRequest(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        default:
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .transport(code: Int(code.rawValue), message: message)
        }
    }

    static func parseHeaders(_ lines: [String]) -> [String: String] {
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }
}
