import Foundation
import Testing
import ZeroMQ

/// Creates a fresh temporary folder for `ipc://` endpoints.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "zmq-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func bytes(_ text: String) -> Data { Data(text.utf8) }

@Suite("ZMQSocket")
struct ZMQSocketTests {
    let context = ZMQContext()

    private func socket(_ kind: ZMQSocket.Kind) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, kind: kind)
        try socket.setReceiveTimeout(milliseconds: 5000)  // a broken test fails instead of hanging
        return socket
    }

    @Test func libraryVersionIsReported() {
        #expect(ZMQContext.libraryVersion.split(separator: ".").count == 3)
    }

    @Test func routerAndDealerExchangeMultipartOverInproc() throws {
        let router = try socket(.router)
        let dealer = try socket(.dealer)
        let endpoint = "inproc://router-dealer-\(UUID().uuidString)"
        try router.bind(endpoint)
        try dealer.connect(endpoint)

        try dealer.send([bytes("first"), Data(), bytes("third")])
        let received = try #require(try router.receive())
        #expect(received.count == 4)  // identity + the three frames
        #expect(Array(received.dropFirst()) == [bytes("first"), Data(), bytes("third")])

        let identity = received[0]
        try router.send([identity, bytes("reply-1"), bytes("reply-2")])
        #expect(try dealer.receive() == [bytes("reply-1"), bytes("reply-2")])
    }

    @Test func routerAndRequestExchangeMultipartOverIPC() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let endpoint = "ipc://\(folder.appending(path: "s.sock").path)"
        let router = try socket(.router)
        let request = try socket(.request)
        try router.bind(endpoint)
        try request.connect(endpoint)

        try request.send([bytes("a"), bytes("b")])
        let received = try #require(try router.receive())
        // A REQ socket adds an empty delimiter frame after the identity.
        #expect(received.count == 4)
        #expect(received[1].isEmpty)
        #expect(Array(received.suffix(2)) == [bytes("a"), bytes("b")])

        try router.send(Array(received.prefix(2)) + [bytes("answer"), bytes("more")])
        #expect(try request.receive() == [bytes("answer"), bytes("more")])
    }

    @Test func largeAndBinaryFramesSurviveTheTrip() throws {
        let router = try socket(.router)
        let dealer = try socket(.dealer)
        let endpoint = "inproc://binary-\(UUID().uuidString)"
        try router.bind(endpoint)
        try dealer.connect(endpoint)
        let payload = Data((0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try dealer.send([payload])
        let received = try #require(try router.receive())
        #expect(received.last == payload)
    }

    @Test func receiveWithoutWaitingReturnsNilWhenNothingWaits() throws {
        let router = try socket(.router)
        try router.bind("inproc://empty-\(UUID().uuidString)")
        #expect(try router.receive(dontWait: true) == nil)
    }

    @Test func receiveTimeoutReturnsNil() throws {
        let router = try ZMQSocket(context: context, kind: .router)
        try router.bind("inproc://timeout-\(UUID().uuidString)")
        try router.setReceiveTimeout(milliseconds: 50)
        let started = Date()
        #expect(try router.receive() == nil)
        #expect(Date().timeIntervalSince(started) >= 0.04)
    }

    @Test func pollWatchesTheSocketAndAPipe() throws {
        let router = try socket(.router)
        let dealer = try socket(.dealer)
        let endpoint = "inproc://poll-\(UUID().uuidString)"
        try router.bind(endpoint)
        try dealer.connect(endpoint)
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }

        let idle = try router.poll(alsoWatching: fds[0], timeoutMilliseconds: 20)
        #expect(!idle.socket && !idle.fileDescriptor)

        var byte: UInt8 = 7
        #expect(write(fds[1], &byte, 1) == 1)
        let pipeReady = try router.poll(alsoWatching: fds[0], timeoutMilliseconds: 1000)
        #expect(pipeReady.fileDescriptor)
        #expect(!pipeReady.socket)
        #expect(read(fds[0], &byte, 1) == 1)

        try dealer.send([bytes("ping")])
        let socketReady = try router.poll(alsoWatching: fds[0], timeoutMilliseconds: 5000)
        #expect(socketReady.socket)
        #expect(!socketReady.fileDescriptor)
        #expect(try router.receive(dontWait: true)?.last == bytes("ping"))
    }

    @Test func theDescriptorSignalsAnArrivingMessage() throws {
        let router = try socket(.router)
        let dealer = try socket(.dealer)
        let endpoint = "inproc://descriptor-\(UUID().uuidString)"
        try router.bind(endpoint)
        try dealer.connect(endpoint)
        let descriptor = try router.fileDescriptor()
        #expect(try router.receive(dontWait: true) == nil)  // nothing yet; the descriptor is armed
        try dealer.send([bytes("ping")])
        var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&watched, 1, 5000) == 1)
        #expect(try router.receive(dontWait: true)?.last == bytes("ping"))
    }

    @Test func pollWithoutAPipeTimesOut() throws {
        let router = try socket(.router)
        try router.bind("inproc://poll-only-\(UUID().uuidString)")
        let ready = try router.poll(timeoutMilliseconds: 10)
        #expect(!ready.socket && !ready.fileDescriptor)
    }

    @Test func lastEndpointResolvesAWildcardPort() throws {
        let router = try socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = try #require(Int(endpoint.split(separator: ":").last ?? ""))
        #expect(port > 0 && port < 65536)

        let dealer = try socket(.dealer)
        try dealer.connect(endpoint)
        try dealer.send([bytes("over tcp")])
        #expect(try router.receive()?.last == bytes("over tcp"))
    }

    @Test func bindingAnUnknownTransportThrows() throws {
        let router = try socket(.router)
        let error = #expect(throws: ZMQError.self) { try router.bind("nonsense://nowhere") }
        #expect(error?.operation == "bind nonsense://nowhere")
        #expect(error?.description.contains("bind nonsense://nowhere: ") == true)
        #expect(error?.description.contains("errno") == true)
        #expect(error?.isAgain == false)
    }

    @Test func bindingAnAddressInUseThrowsWithItsMessage() throws {
        let first = try socket(.router)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try first.lastEndpoint()
        let second = try socket(.router)
        let error = #expect(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error?.code == EADDRINUSE)
        #expect(error?.description.localizedCaseInsensitiveContains("address already in use") == true)
    }

    @Test func connectingToAMalformedEndpointThrows() throws {
        let dealer = try socket(.dealer)
        #expect(throws: ZMQError.self) { try dealer.connect("tcp://") }
    }

    @Test func closeIsIdempotent() throws {
        let dealer = try socket(.dealer)
        dealer.close()
        dealer.close()
    }
}
