import Foundation
import Testing

@testable import Env

/// The bookkeeping of sessions made ahead of their reset: reservations, take, failures, shutdown.
@Suite("SpareSessions")
struct SpareSessionsTests {
    func spare(_ id: String) -> SpareSessions.Spare {
        let root = URL(fileURLWithPath: "/runs/\(id)")
        return .init(sessionID: id, folders: SessionFolders(workspace: root.appending(path: "workspace"),
                                                            publicData: URL(fileURLWithPath: "/tasks/t/data/public"),
                                                            steps: root.appending(path: "steps"), logs: root.appending(path: "logs")),
                     uid: nil)
    }

    @Test func aReservationIsNotRepeatedWhileItsSpareStarts() async {
        let spares = SpareSessions(perTask: 2)
        #expect(await spares.reserve("t") == 2)
        #expect(await spares.reserve("t") == 0)  // both starting: a second reset does not start more
        await spares.started(spare("a"), task: "t")
        await spares.failed(task: "t")
        #expect(await spares.count("t") == 1)
        #expect(await spares.reserve("t") == 1)  // the failed one is made again
    }

    @Test func aResetTakesTheOldestSpareOfItsTaskOnly() async {
        let spares = SpareSessions(perTask: 2)
        _ = await spares.reserve("t")
        await spares.started(spare("a"), task: "t")
        await spares.started(spare("b"), task: "t")
        #expect(await spares.take("other") == nil)
        #expect(await spares.take("t")?.sessionID == "a")
        #expect(await spares.take("t")?.sessionID == "b")
        #expect(await spares.take("t") == nil)
    }

    @Test func noneAreKeptWhenDisabledAndShutdownRemovesAll() async {
        #expect(await SpareSessions(perTask: 0).reserve("t") == 0)
        let spares = SpareSessions(perTask: 1)
        _ = await spares.reserve("t")
        _ = await spares.reserve("u")
        await spares.started(spare("a"), task: "t")
        await spares.started(spare("b"), task: "u")
        #expect(Set(await spares.removeAll().map(\.sessionID)) == ["a", "b"])
        #expect(await spares.count("t") == 0)
    }
}
