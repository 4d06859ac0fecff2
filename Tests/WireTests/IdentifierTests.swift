import Foundation
import Testing

@testable import Wire

@Suite("Identifier: ids compared byte for byte, control characters refused")
struct IdentifierTests {
    @Test func canonicallyEquivalentTextIsADifferentIdentifier() {
        #expect("\u{212A}" == "K", "Swift's String equality")
        #expect(Identifier("\u{212A}") != Identifier("K"))
        #expect(Identifier("e\u{301}") != Identifier("é"))
        #expect(Set([Identifier("\u{212A}"), Identifier("K"), Identifier("K")]).count == 2)
        #expect(Identifier("s-1") == Identifier("s-1"))
    }

    @Test(arguments: ["\u{0}", "\u{1}", "\n", "\t", "\u{1F}", "\u{7F}", "\u{80}", "\u{9F}"])
    func controlCharactersAreRefused(_ control: String) throws {
        let problem = try #require(Identifier.problem(in: "id" + control, field: "field 'session'"))
        #expect(problem.code == .badRequest)
        #expect(problem.message.contains("field 'session'") && problem.message.contains("U+"))
    }

    @Test(arguments: ["", "penguins-species", "s_01HZX", "é", "\u{212A}", "😀", "a b", "\u{A0}"])
    func otherTextIsAccepted(_ text: String) {
        #expect(Identifier.problem(in: text, field: "id") == nil)
    }

    @Test func requestsWithAControlCharacterInTheirIdsAreRefusedWithTheIdEchoed() throws {
        for frame in [#"{"id":"a\u0000","action":"health"}"#, #"{"id":"a","action":"get_history","session":"s\u0000"}"#] {
            guard case .failure(let failure) = Request.parse(Data(frame.utf8)) else {
                Issue.record("accepted \(frame)")
                continue
            }
            #expect(failure.error.code == .badRequest)
            #expect(failure.id != nil)
        }
    }
}
