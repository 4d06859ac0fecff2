import Foundation

/// Flow control per client connection: every request gets exactly one reply however late its client
/// reads, in bounded memory. A state machine value (no sockets in it), driven by `ZMQTransport`.
///
/// libzmq keeps at most a high-water mark of replies queued toward each client; with
/// `ZMQ_ROUTER_MANDATORY` a send past it fails with EAGAIN instead of dropping the reply. Such a reply
/// waits here, in order, and is retried when the client has read. A client may have at most
/// `maxRequests` requests that are being answered or whose replies wait here, and while its waiting
/// replies hold `maxWaitingBytes` or more no new request is admitted; a request beyond either is
/// refused at once with a small BUSY reply, which waits its turn like any other. Only a client that keeps
/// sending after `maxRefusals` refusals wait unread is past any reading: its further frames are
/// discarded (counted and logged), since answering them would take unbounded memory.
struct ReplyOutbox {
    /// What to do with a request that has just arrived.
    enum Admission: Equatable {
        /// Answer it; its reply comes back through `deliver(_:to:kind:send:)` with `.answer`.
        case answer
        /// Refuse it with BUSY now (deliver the refusal with `.refusal`).
        case refuse
        /// Drop it: its client reads nothing and already has `maxRefusals` refusals waiting.
        case discard
    }

    /// Whether a reply answers an admitted request or refuses one.
    enum ReplyKind { case answer, refusal }

    /// What libzmq did with a send.
    enum SendResult { case sent, wouldBlock, clientGone }

    private struct Client {
        /// Admitted requests not answered yet.
        var unanswered = 0
        /// Replies libzmq could not take yet, oldest first; `head` is the next to send.
        var waiting: [(frames: [Data], kind: ReplyKind)] = []
        var head = 0
        var answersWaiting = 0
        var refusalsWaiting = 0
        var bytesWaiting = 0
        var discarded = 0

        var hasWaiting: Bool { head < waiting.count }
        var isIdle: Bool { unanswered == 0 && !hasWaiting }

        /// Moves past the reply at `head`.
        mutating func take() {
            if waiting[head].kind == .answer { answersWaiting -= 1 } else { refusalsWaiting -= 1 }
            bytesWaiting -= waiting[head].frames.reduce(0) { $0 + $1.count }
            head += 1
        }

        /// Frees the taken replies once they are half the storage (amortised O(1) per reply).
        mutating func compact() {
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: false)
                head = 0
            } else if head > 64, head * 2 > waiting.count {
                waiting.removeFirst(head)
                head = 0
            }
            if !hasWaiting { discarded = 0 }
        }
    }

    let maxRequests: Int
    let maxRefusals: Int
    let maxWaitingBytes: Int
    private var clients: [Data: Client] = [:]
    /// The clients with replies waiting, so a flush touches only them (most clients have none).
    private var backlogged: Set<Data> = []
    /// Frames dropped from clients that read nothing (each also logged when a client starts being dropped).
    private(set) var discardedFrames = 0
    /// Requests refused with BUSY because their client had `maxRequests` unanswered or unread.
    private(set) var refusedRequests = 0

    init(maxRequests: Int, maxRefusals: Int? = nil, maxWaitingBytes: Int = 256 << 20) {
        self.maxRequests = max(1, maxRequests)
        self.maxRefusals = maxRefusals ?? self.maxRequests * 64
        self.maxWaitingBytes = maxWaitingBytes
    }

    /// Clients with state here (requests being answered or replies waiting).
    var clientCount: Int { clients.count }

    /// Replies waiting for `client` to read.
    func waitingCount(for client: Data) -> Int {
        clients[client].map { $0.waiting.count - $0.head } ?? 0
    }

    var hasWaiting: Bool { !backlogged.isEmpty }

    /// Decides on a request from `client` that has just arrived.
    mutating func admit(from client: Data) -> Admission {
        var state = clients[client, default: Client()]
        defer { clients[client] = state.isIdle ? nil : state }
        if state.unanswered + state.answersWaiting < maxRequests, state.bytesWaiting < maxWaitingBytes {
            state.unanswered += 1
            return .answer
        }
        if state.refusalsWaiting < maxRefusals {
            refusedRequests += 1
            return .refuse
        }
        state.discarded += 1
        discardedFrames += 1
        if state.discarded == 1 {
            FileHandle.standardError.write(Data(
                "mledojo: a client has \(state.refusalsWaiting) BUSY replies unread; its further requests are dropped until it reads\n".utf8))
        }
        return .discard
    }

    /// Hands a reply to libzmq through `send`, or keeps it until the replies ahead of it are taken.
    mutating func deliver(_ frames: [Data], to client: Data, kind: ReplyKind, send: ([Data]) -> SendResult) {
        var state = clients[client, default: Client()]
        if kind == .answer { state.unanswered = max(0, state.unanswered - 1) }
        if !state.hasWaiting {
            switch send(frames) {
            case .sent:
                clients[client] = state.isIdle ? nil : state
                return
            case .clientGone:
                clients[client] = state.isIdle ? nil : state
                return
            case .wouldBlock:
                break
            }
        }
        state.waiting.append((frames, kind))
        backlogged.insert(client)
        state.bytesWaiting += frames.reduce(0) { $0 + $1.count }
        if kind == .answer { state.answersWaiting += 1 } else { state.refusalsWaiting += 1 }
        clients[client] = state
    }

    /// Retries the waiting replies of every client, oldest first, until libzmq refuses one; the replies
    /// of a client that has gone are dropped (there is nobody to read them). Returns whether any still wait.
    @discardableResult
    mutating func flush(send: ([Data]) -> SendResult) -> Bool {
        var stillWaiting = false
        for client in backlogged {
            guard var state = clients[client], state.hasWaiting else {
                backlogged.remove(client)
                continue
            }
            flushing: while state.hasWaiting {
                let next = state.waiting[state.head]
                switch send(next.frames) {
                case .wouldBlock: break flushing
                case .sent, .clientGone: state.take()
                }
            }
            state.compact()
            stillWaiting = stillWaiting || state.hasWaiting
            if !state.hasWaiting { backlogged.remove(client) }
            clients[client] = state.isIdle ? nil : state
        }
        return stillWaiting
    }
}
