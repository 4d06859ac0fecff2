import EnvTesting
import Foundation
import Testing

@testable import Wire

@Suite("BudgetField: the one home of the budget ranges, stated alike in the protocol")
struct BudgetFieldTests {
    /// The schema states the same ranges (protocol/schemas/reset.params.json), field for field.
    @Test func theSchemaStatesTheSameRanges() throws {
        let url = RepositoryPaths.root.appending(path: "protocol/schemas/reset.params.json")
        let schema = try JSONValue.decode(try Data(contentsOf: url))
        let properties = try #require(schema["properties"]?["budget"]?["properties"]?.objectValue)
        #expect(Set(properties.keys) == Set(BudgetField.all.map(\.key)))
        for field in BudgetField.all {
            let property = try #require(properties[field.key])
            #expect(property["maximum"]?.numberValue == field.maximum, "\(field.key) maximum")
            if field.isInteger {
                #expect(property["type"] == "integer" && property["minimum"] == 1, "\(field.key) is a whole number from 1")
            } else {
                #expect(property["type"] == "number" && property["exclusiveMinimum"] == 0, "\(field.key) is above 0")
            }
        }
    }

    /// protocol.md's reset table names each field's maximum.
    @Test func theProtocolPageStatesTheSameRanges() throws {
        let page = try String(contentsOf: RepositoryPaths.root.appending(path: "protocol/protocol.md"), encoding: .utf8)
        for field in BudgetField.all {
            let row = try #require(page.split(separator: "\n").first { $0.hasPrefix("| `budget.\(field.key)`") }, "\(field.key) row")
            let maximum = Int(field.maximum).formatted(.number.grouping(.never))
            #expect(row.contains(maximum), "protocol.md's \(field.key) row names \(maximum)")
        }
    }
}
