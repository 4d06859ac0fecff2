import Foundation
import Synchronization
import Testing
import ZeroMQ

@Suite("ZMQSocketThread")
struct ZMQSocketThreadTests {
    /// A ROUTER on its own thread that echoes every request and counts its turns' frames in its state.
    private func startEcho(_ endpoint: String) throws -> (ZMQSocketThread<Int>, String) {
        let thread = try ZMQSocketThread(state: 0)
        let bound = try thread.start(
            name: "echo", kind: .router,
            open: { socket in
                try socket.bind(endpoint)
                return try socket.lastEndpoint()
            },
            turn: {
                thread.withSocket { socket, count in
                    while let frames = try? socket.receive(dontWait: true) {
                        count += 1
                        try? socket.send(frames, dontWait: true)
                    }
                }
                return .wait(milliseconds: 200)
            })
        return (thread, bound)
    }

    @Test func ownsItsSocketAnswersAndStops() async throws {
        let (thread, endpoint) = try startEcho("tcp://127.0.0.1:*")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let context = ZMQContext()
        let client = try ZMQSocket(context: context, kind: .dealer)
        try client.setReceiveTimeout(milliseconds: 5000)
        try client.connect(endpoint)
        for index in 0..<20 { try client.send([Data("m\(index)".utf8)]) }
        for index in 0..<20 { #expect(try client.receive() == [Data("m\(index)".utf8)], "replies keep their order") }
        #expect(thread.withSocket { _, count in count } == 20)
        await thread.stop()
        #expect(thread.withSocket { _, count in count } == nil, "the socket is closed once stop returns")
        client.close()
    }

    @Test func aSocketThatCannotOpenThrowsAndStopReturns() async throws {
        let thread = try ZMQSocketThread(state: ())
        #expect(throws: ZMQError.self) {
            _ = try thread.start(name: "bad", kind: .router, open: { socket in
                try socket.bind("nonsense://x")
                return ""
            }, turn: { .wait(milliseconds: 200) })
        }
        await thread.stop()
    }

    @Test func wakeCutsAWaitShort() async throws {
        let turns = Atomic<Int>(0)
        let thread = try ZMQSocketThread(state: ())
        _ = try thread.start(name: "wake", kind: .dealer, open: { _ in "" }, turn: {
            turns.add(1, ordering: .relaxed)
            return .wait(milliseconds: 60_000)
        })
        let deadline = ContinuousClock.now + .seconds(5)
        while turns.load(ordering: .relaxed) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))  // the thread is in its minute-long wait now
        let before = turns.load(ordering: .relaxed)
        thread.wake()
        while turns.load(ordering: .relaxed) == before && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(turns.load(ordering: .relaxed) > before)
        await thread.stop()
    }
}
