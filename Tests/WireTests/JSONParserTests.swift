import Foundation
import Testing

@testable import Wire

@Suite("JSON parser and serialiser")
struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let text = #"{"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\\z\n\u00e9\ud83d\ude00"}, "d": 0}"#
        let value = try JSONValue.decode(Data(text.utf8))
        #expect(value["a"] == [1, -2500, true, false, nil])
        #expect(value["b"]?["c"]?.stringValue == "x\"y\\z\né😀")
        #expect(value["d"] == 0)
    }

    @Test func agreesWithFoundationOnAValueRoundTrip() throws {
        let value: JSONValue = ["text": "tab\tquote\"ctrl\u{01}", "n": 0.1, "big": 1e300, "list": [[], [:], "", -0.0]]
        let reparsed = try JSONValue.decode(value.encoded())
        #expect(reparsed == value)
        let foundation = try JSONSerialization.jsonObject(with: value.encoded()) as? [String: Any]
        #expect(foundation?["text"] as? String == "tab\tquote\"ctrl\u{01}")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"a", "{\"a\" 1}", "[1 2]",
        "\"\u{01}\"", "\"\\ud800\"", "1 2", "nan", "{'a': 1}",
    ])
    func refusesMalformedText(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.decode(Data(text.utf8)) }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: (any Error).self) { try JSONValue.decode(Data([0x22, 0xFF, 0xFE, 0x22])) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: (any Error).self) { try JSONValue.decode(Data(deep.utf8)) }
    }

    @Test func stringsAreWrittenWithTheSameEscapesAsAlways() {
        let text = "plain \"quoted\" back\\slash\nnew\rline\ttab\u{01}\u{1F} é ✓ 🐧 /"
        #expect(JSONValue.string(text).encodedString() == #""plain \"quoted\" back\\slash\nnew\rline\ttab\u0001\u001f é ✓ 🐧 /""#)
        #expect(JSONValue.object(["b": 1, "a": [true, nil, "x"], "é": 2.5]).encodedString() == #"{"a":[true,null,"x"],"b":1,"é":2.5}"#)
    }

    @Test func numbersAndPlainStringsParseExactly() throws {
        let value = try JSONValue.decode(Data(#"[0, -0, 12, -123456789012345, 1234567890123456, 1.5, 1e3, "ascii", "é✓"]"#.utf8))
        let items = try #require(value.arrayValue)
        let numbers = items.prefix(7).compactMap(\.numberValue)
        #expect(numbers == [0, 0, 12, -123456789012345, 1234567890123456, 1.5, 1000])
        #expect(numbers[1].sign == .minus)
        #expect(Array(items.suffix(2)) == ["ascii", "é✓"])
    }

    @Test func nonFiniteNumbersAreWrittenAsNull() {
        let value: JSONValue = ["nan": .number(Double.nan), "inf": .number(Double.infinity)]
        #expect(value.encodedString() == #"{"inf":null,"nan":null}"#)
    }
}
