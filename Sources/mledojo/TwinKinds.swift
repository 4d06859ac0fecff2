import ArgumentParser
import Foundation
import Wire

/// The kinds of derived twin and the sizes each accepts, read from the runtime's `mledojo/twin_kinds.json`:
/// the one home of those sizes, which `python -m mledojo.derive` reads too.
struct TwinKinds: Sendable {
    /// One kind: the training rows `--train-rows` accepts and the sizes derive's search tries, in order.
    struct Kind: Sendable {
        let name: String
        let trainRows: ClosedRange<Int>
        let search: [Int]
    }

    let kinds: [String: Kind]
    let testRows: ClosedRange<Int>

    /// The kind named `name`; a ValidationError naming the file when it has none.
    func kind(_ name: String) throws -> Kind {
        guard let kind = kinds[name] else { throw ValidationError("twin_kinds.json has no kind \(name)") }
        return kind
    }

    /// Reads `<runtime>/mledojo/twin_kinds.json`; a ValidationError saying what is wrong with it.
    static func load(runtime: URL) throws -> TwinKinds {
        let file = runtime.appending(path: "mledojo/twin_kinds.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ValidationError("cannot read \(file.path) (the kinds of twin and their sizes; --runtime names its folder)")
        }
        func range(_ value: JSONValue?) -> ClosedRange<Int>? {
            guard let low = value?["min"]?.integerValue, let high = value?["max"]?.integerValue, low <= high else { return nil }
            return low...high
        }
        guard let document = try? JSONValue.decode(data), let testRows = range(document["test_rows"]),
              let entries = document["kinds"]?.objectValue else {
            throw ValidationError("\(file.path) is not a twin kinds file (test_rows and kinds expected)")
        }
        var kinds: [String: Kind] = [:]
        for (name, entry) in entries {
            guard let trainRows = range(entry["train_rows"]), let search = entry["search"]?.arrayValue?.compactMap(\.integerValue) else {
                throw ValidationError("\(file.path): kind \(name) lacks train_rows {min, max} or search")
            }
            kinds[name] = Kind(name: name, trainRows: trainRows, search: search)
        }
        return TwinKinds(kinds: kinds, testRows: testRows)
    }
}

/// The kind of twin `mledojo tasks derive` writes: one of these flags is required.
enum TwinKindFlag: String, EnumerableFlag, Sendable {
    case micro, small

    static func help(for value: TwinKindFlag) -> ArgumentHelp? {
        switch value {
        case .micro: "Derive micro-scale twins (SandMLE's range of training rows; each kind's sizes are in python/mledojo/twin_kinds.json)."
        case .small: "Derive small-scale twins (more rows than micro, always fewer than the parent's): for a parent no micro twin of which keeps its ranking."
        }
    }
}
