import Foundation
import Testing

@testable import Env

/// The per-client flow control alone, with a scripted libzmq: every request gets exactly one reply,
/// in bounded memory, however late its client reads.
@Suite("ReplyOutbox")
struct ReplyOutboxTests {
    let alice = Data("alice".utf8)
    let bob = Data("bob".utf8)

    /// A stand-in for a ROUTER socket: each client takes `room` more replies, then would block.
    final class ScriptedSocket {
        var room: [Data: Int] = [:]
        var gone: Set<Data> = []
        var delivered: [Data: [String]] = [:]

        func send(_ frames: [Data]) -> ReplyOutbox.SendResult {
            let client = frames[0]
            if gone.contains(client) { return .clientGone }
            guard room[client, default: 0] > 0 else { return .wouldBlock }
            room[client, default: 0] -= 1
            delivered[client, default: []].append(String(decoding: frames[1], as: UTF8.self))
            return .sent
        }
    }

    private func reply(_ client: Data, _ text: String) -> [Data] { [client, Data(text.utf8)] }

    @Test func repliesWaitInOrderUntilTheClientReads() {
        var outbox = ReplyOutbox(maxRequests: 10)
        let socket = ScriptedSocket()
        socket.room[alice] = 2
        for index in 0..<5 {
            #expect(outbox.admit(from: alice) == .answer)
            outbox.deliver(reply(alice, "r\(index)"), to: alice, kind: .answer, send: socket.send)
        }
        #expect(socket.delivered[alice] == ["r0", "r1"])
        #expect(outbox.waitingCount(for: alice) == 3 && outbox.hasWaiting)
        let stillWaiting = outbox.flush(send: socket.send)
        #expect(stillWaiting, "nothing read yet: still waiting")
        socket.room[alice] = 100
        let waitingAfterRead = outbox.flush(send: socket.send)
        #expect(!waitingAfterRead)
        #expect(socket.delivered[alice] == ["r0", "r1", "r2", "r3", "r4"])
        #expect(outbox.clientCount == 0, "an idle client leaves no state behind")
    }

    @Test func aReplyNeverOvertakesOnesWaitingAheadOfIt() {
        var outbox = ReplyOutbox(maxRequests: 10)
        let socket = ScriptedSocket()
        _ = outbox.admit(from: alice)
        _ = outbox.admit(from: alice)
        outbox.deliver(reply(alice, "first"), to: alice, kind: .answer, send: socket.send)
        socket.room[alice] = 1  // the client read one: the next send would succeed, but "first" goes first
        outbox.deliver(reply(alice, "second"), to: alice, kind: .answer, send: socket.send)
        #expect(socket.delivered[alice] == nil)
        outbox.flush(send: socket.send)
        #expect(socket.delivered[alice] == ["first"])
    }

    @Test func overTheCapRequestsAreRefusedThenDiscardedOnlyPastTheRefusalBound() {
        var outbox = ReplyOutbox(maxRequests: 3, maxRefusals: 2)
        let socket = ScriptedSocket()  // alice reads nothing
        var admissions: [ReplyOutbox.Admission] = []
        for index in 0..<8 {
            let admission = outbox.admit(from: alice)
            admissions.append(admission)
            switch admission {
            case .answer: outbox.deliver(reply(alice, "r\(index)"), to: alice, kind: .answer, send: socket.send)
            case .refuse: outbox.deliver(reply(alice, "busy\(index)"), to: alice, kind: .refusal, send: socket.send)
            case .discard: break
            }
        }
        #expect(admissions == [.answer, .answer, .answer, .refuse, .refuse, .discard, .discard, .discard])
        #expect(outbox.refusedRequests == 2 && outbox.discardedFrames == 3)
        // Bob is not held up by Alice.
        socket.room[bob] = 1
        #expect(outbox.admit(from: bob) == .answer)
        outbox.deliver(reply(bob, "b"), to: bob, kind: .answer, send: socket.send)
        #expect(socket.delivered[bob] == ["b"])
        // Once Alice reads, every reply and refusal reaches her in order, and she is admitted again.
        socket.room[alice] = 100
        outbox.flush(send: socket.send)
        #expect(socket.delivered[alice] == ["r0", "r1", "r2", "busy3", "busy4"])
        #expect(outbox.admit(from: alice) == .answer)
    }

    @Test func requestsBeingAnsweredCountAgainstTheCap() {
        var outbox = ReplyOutbox(maxRequests: 2)
        #expect(outbox.admit(from: alice) == .answer)
        #expect(outbox.admit(from: alice) == .answer)
        #expect(outbox.admit(from: alice) == .refuse, "two long runs in flight fill the cap")
        let socket = ScriptedSocket()
        socket.room[alice] = 10
        outbox.deliver(reply(alice, "done"), to: alice, kind: .answer, send: socket.send)
        outbox.deliver(reply(alice, "busy"), to: alice, kind: .refusal, send: socket.send)
        #expect(outbox.admit(from: alice) == .answer, "an answered request frees its place")
    }

    @Test func largeRepliesWaitingStopNewRequestsEarly() {
        var outbox = ReplyOutbox(maxRequests: 100, maxWaitingBytes: 1000)
        let socket = ScriptedSocket()
        #expect(outbox.admit(from: alice) == .answer)
        outbox.deliver([alice, Data(count: 1500)], to: alice, kind: .answer, send: socket.send)
        #expect(outbox.admit(from: alice) == .refuse, "1500 bytes wait unread")
        socket.room[alice] = 10
        outbox.flush(send: socket.send)
        #expect(outbox.admit(from: alice) == .answer)
    }

    @Test func aClientThatLeftHasItsWaitingRepliesDropped() {
        var outbox = ReplyOutbox(maxRequests: 10)
        let socket = ScriptedSocket()
        for index in 0..<3 {
            _ = outbox.admit(from: alice)
            outbox.deliver(reply(alice, "r\(index)"), to: alice, kind: .answer, send: socket.send)
        }
        socket.gone.insert(alice)
        let stillWaiting = outbox.flush(send: socket.send)
        #expect(!stillWaiting)
        #expect(outbox.clientCount == 0)
    }

    @Test func memoryStaysBoundedForAClientThatNeverReads() {
        var outbox = ReplyOutbox(maxRequests: 16, maxRefusals: 64)
        let socket = ScriptedSocket()
        for index in 0..<100_000 {
            switch outbox.admit(from: alice) {
            case .answer: outbox.deliver(reply(alice, "r\(index)"), to: alice, kind: .answer, send: socket.send)
            case .refuse: outbox.deliver(reply(alice, "b\(index)"), to: alice, kind: .refusal, send: socket.send)
            case .discard: break
            }
            if index % 1000 == 0 { outbox.flush(send: socket.send) }
        }
        #expect(outbox.waitingCount(for: alice) == 16 + 64)
    }
}
