import EnvTesting
import Foundation
import Testing
import Wire

/// The reward modes and score splits are the ones the reset schema names, no more and no fewer.
@Suite("RewardMode and ScoreSplit, as protocol/schemas/reset.params.json states them")
struct SessionModeTests {
    private func schemaEnum(_ property: String) throws -> Set<String> {
        let url = RepositoryPaths.root.appending(path: "protocol/schemas/reset.params.json")
        let schema = try JSONValue.decode(try Data(contentsOf: url))
        let values = try #require(schema["properties"]?[property]?["enum"]?.arrayValue)
        return Set(values.compactMap(\.stringValue))
    }

    @Test func rewardModesMatchTheSchema() throws {
        #expect(Set(RewardMode.allCases.map(\.rawValue)) == (try schemaEnum("reward_mode")))
    }

    @Test func scoreSplitsMatchTheSchema() throws {
        #expect(Set(ScoreSplit.allCases.map(\.rawValue)) == (try schemaEnum("score_split")))
    }
}
