import Foundation
import Testing

@testable import Wire

@Suite("Request.parse")
struct RequestTests {
    private func failure(_ text: String) -> RequestParseError? {
        failure(Data(text.utf8))
    }

    private func failure(_ data: Data) -> RequestParseError? {
        if case .failure(let error) = Request.parse(data) { return error }
        return nil
    }

    @Test func aFullRequestParses() throws {
        let text = #"{"v":1,"id":"r1","action":"execute_code","session":"s9","params":{"code":"print(1)","n":2}}"#
        let request = try Request.parse(Data(text.utf8)).get()
        #expect(request.id == "r1" && request.action == .executeCode && request.session == "s9")
        #expect(request.params == ["code": "print(1)", "n": 2])
        #expect(try request.string("code") == "print(1)")
        #expect(try request.requireSession() == "s9")
    }

    @Test func optionalFieldsMayBeAbsentOrNull() throws {
        let bare = try Request.parse(Data(#"{"id":"a","action":"health"}"#.utf8)).get()
        #expect(bare.session == nil && bare.params.isEmpty)
        let nulls = try Request.parse(Data(#"{"id":"a","action":"health","session":null,"params":null}"#.utf8)).get()
        #expect(nulls.session == nil && nulls.params.isEmpty)
    }

    @Test(arguments: [
        ("not json at all", ErrorCode.badRequest, String?.none),
        ("", .badRequest, nil),
        ("[1, 2, 3]", .badRequest, nil),
        (#""a string""#, .badRequest, nil),
        (#"{"action":"health"}"#, .badRequest, nil),
        (#"{"id":5,"action":"health"}"#, .badRequest, nil),
        (#"{"id":null,"action":"health"}"#, .badRequest, nil),
        (#"{"id":"r2"}"#, .badRequest, "r2"),
        (#"{"id":"r3","action":""}"#, .badRequest, "r3"),
        (#"{"id":"r4","action":7}"#, .badRequest, "r4"),
        (#"{"v":2,"id":"r5","action":"health"}"#, .unsupportedVersion, "r5"),
        (#"{"v":"1","id":"r6","action":"health"}"#, .unsupportedVersion, "r6"),
        (#"{"v":2,"action":"health"}"#, .unsupportedVersion, nil),
        (#"{"id":"r7","action":"reset","params":[1]}"#, .badRequest, "r7"),
        (#"{"id":"r8","action":"reset","params":"task"}"#, .badRequest, "r8"),
        (#"{"id":"r9","action":"close","session":42}"#, .badRequest, "r9"),
        (#"{"id":"r10","action":"close","session":{"id":"x"}}"#, .badRequest, "r10"),
    ])
    func malformedRequestsGetTheRightCode(_ text: String, _ code: ErrorCode, _ id: String?) throws {
        let error = try #require(failure(text))
        #expect(error.error.code == code)
        #expect(error.id == id)
        #expect(!error.error.message.isEmpty)
    }

    @Test func invalidUTF8IsABadRequest() throws {
        let error = try #require(failure(Data([0x7B, 0xFF, 0xFE, 0x7D])))
        #expect(error.error.code == .badRequest && error.id == nil)
    }

    @Test func messagesSayWhatIsWrong() {
        #expect(failure(#"{"action":"x"}"#)?.error.message.contains("missing field 'id'") == true)
        #expect(failure(#"{"id":1,"action":"x"}"#)?.error.message.contains("'id' must be a string") == true)
        #expect(failure(#"{"id":"a","action":"x","params":1}"#)?.error.message.contains("'params'") == true)
        #expect(failure(#"{"id":"a","action":"x","session":1}"#)?.error.message.contains("'session'") == true)
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(failure(deep)?.error.message.contains("nested deeper than 512 levels") == true)
        #expect(failure(#"{"id":"a\x"}"#)?.error.message.contains("at byte") == true)
    }

    @Test func parameterAccessorsCheckTypes() throws {
        let request = Request(id: "r", action: .reset, params: ["task": 5, "mode": nil, "name": "x"])
        #expect(throws: EnvError(.badRequest, "parameter 'task' must be a string")) { try request.string("task") }
        #expect(throws: EnvError.self) { try request.string("missing") }
        #expect(try request.optionalString("mode") == nil)
        #expect(try request.optionalString("absent") == nil)
        #expect(try request.optionalString("name") == "x")
        #expect(throws: EnvError.self) { try request.requireSession() }
    }

    @Test func repliesCarryTheIdAndCode() {
        let failure = Reply.failure(id: nil, error: EnvError(.busy, "wait"))
        #expect(failure == ["v": 1, "id": nil, "ok": false, "error": ["code": "BUSY", "message": "wait"]])
        #expect(Reply.success(id: "a", result: ["x": 1])["ok"] == true)
    }
}
