/// An identifier a client sends (a request id, a session id, a task id), compared and hashed byte for
/// byte. Swift's `String` equality follows Unicode canonical equivalence ("\u{212A}" == "K") while SQLite
/// compares bytes, so every lookup by id keys on this type: the in-memory registry and the database can
/// never disagree on which session or task an id names.
public struct Identifier: Hashable, Sendable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (lhs: Identifier, rhs: Identifier) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { text }

    /// The first control character (U+0000–U+001F, U+007F–U+009F) in `text`, if any.
    public static func controlCharacter(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// Why `text` is refused as an id, if it is: a control character (a NUL would end it early in C and
    /// in SQLite's text functions; a newline splits log lines). BAD_REQUEST naming the field and character.
    public static func problem(in text: String, field: String) -> EnvError? {
        guard let scalar = controlCharacter(in: text) else { return nil }
        let code = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        return EnvError(.badRequest, "\(field) may not contain control characters; it has \(code)")
    }

    /// Throws `problem(in:field:)` when there is one.
    public static func check(_ text: String, field: String) throws {
        if let problem = problem(in: text, field: field) { throw problem }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
