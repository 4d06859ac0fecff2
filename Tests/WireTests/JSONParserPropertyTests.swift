import EnvTesting
import Foundation
import Testing

@testable import Wire

/// Seeded property tests: the parser reads back whatever the writer writes, and no byte sequence makes
/// it trap, loop or exhaust the stack (a request frame is arbitrary bytes from the network).
@Suite("JSON parser properties")
struct JSONParserPropertyTests {
    @Test func everyWrittenValueReadsBackEqual() throws {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<3_000 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let reparsed = try JSONValue.decode(value.encoded())
            #expect(reparsed == value.normalisedForJSON, "\(value.encodedString())")
        }
    }

    @Test func mutatedFramesNeverTrap() {
        var generator = SeededGenerator(seed: 2)
        let seeds = [
            #"{"v":1,"id":"x","action":"reset","params":{"task":"penguins-species","budget":{"memory_mb":1e300,"max_steps":5}}}"#,
            #"{"v":1,"id":"r\u0000","action":"evaluate","session":"s","params":{"path":".","submission":null}}"#,
            #"[[[{"a":[-0.0,5e-324,1.7976931348623157e308,"\ud83d\ude00"]}]]]"#,
        ].map { Array($0.utf8) }
        var parsed = 0
        for _ in 0..<30_000 {
            var bytes = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(Self.interesting.randomElement(using: &generator)!, at: position)
                default: bytes.insert(contentsOf: bytes[position...].prefix(8), at: position)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            // Either a clean refusal or a value that writes and reads back the same.
            if let value = try? JSONValue.decode(Data(bytes)) {
                parsed += 1
                #expect((try? JSONValue.decode(value.encoded())) == value.normalisedForJSON)
            }
        }
        #expect(parsed > 100, "some mutations stay valid JSON")
    }

    @Test func randomBytesNeverTrap() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...64, using: &generator)
            let bytes = (0..<count).map { _ in Self.interesting.randomElement(using: &generator)! }
            _ = try? JSONValue.decode(Data(bytes))
        }
    }

    @Test func nestingStopsAtTheLimitWithARefusal() throws {
        func nested(_ depth: Int) -> Data { Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }
        #expect(try JSONValue.decode(nested(JSONParser.maxDepth)) != .null)
        #expect(throws: JSONParser.Failure.self) { try JSONValue.decode(nested(JSONParser.maxDepth + 1)) }
        #expect(throws: JSONParser.Failure.self) { try JSONValue.decode(Data(String(repeating: "{\"a\":", count: 200_000).utf8)) }
    }

    @Test func hugeNumbersAreNumbersNotTraps() throws {
        let digits = "1" + String(repeating: "0", count: 400)
        #expect(try JSONValue.decode(Data(digits.utf8)) == .number(.infinity))  // strtod overflows to inf: refused later as not finite
        #expect(try JSONValue.decode(Data("9007199254740993".utf8)) == .number(9_007_199_254_740_992))
        #expect(try JSONValue.decode(Data("-0".utf8)).numberValue?.sign == .minus)
    }

    static let interesting: [UInt8] = Array(#"{}[]:,"\ \/u0123456789abcdefABCDEF.eE+-truefalsnl"#.utf8) + [0, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xE2, 0xED, 0xF0, 0xF4, 0xFF]

    static func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        let leaf = depth > 4 || Int.random(in: 0..<3, using: &generator) > 0
        if leaf {
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .number(generator.hostileNumber())
            case 3: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &generator)))
            default: return .string(randomString(using: &generator))
            }
        }
        if Bool.random(using: &generator) {
            return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        }
        var object: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &generator) {
            object[randomString(using: &generator)] = randomValue(depth: depth + 1, using: &generator)
        }
        return .object(object)
    }

    static func randomString(using generator: inout SeededGenerator) -> String {
        let scalars: [Unicode.Scalar] = ["a", "Z", "0", "\"", "\\", "/", "\u{0}", "\u{1F}", "\u{7F}", "\u{85}", "é", "\u{212A}", "K",
                                          "\u{2028}", "\u{FEFF}", "😀", "\u{10FFFF}", " "]
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &generator) { text.append(scalars.randomElement(using: &generator)!) }
        return String(text)
    }
}

extension JSONValue {
    /// The value JSON can carry: NaN and infinities travel as null.
    var normalisedForJSON: JSONValue {
        switch self {
        case .number(let value): value.isFinite ? self : .null
        case .array(let values): .array(values.map(\.normalisedForJSON))
        case .object(let fields): .object(fields.mapValues(\.normalisedForJSON))
        default: self
        }
    }
}
