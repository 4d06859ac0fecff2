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

    /// The medals the observation schema allows (submission.medal, final.best_medal) are `Medal`'s, plus null.
    @Test func medalsMatchTheObservationSchema() throws {
        let url = RepositoryPaths.root.appending(path: "protocol/schemas/observation.json")
        let schema = try JSONValue.decode(try Data(contentsOf: url))
        let expected = Set(Medal.allCases.map(\.rawValue) + ["null"])
        for (definition, key) in [("submission", "medal"), ("final", "best_medal")] {
            let values = try #require(schema["$defs"]?[definition]?["properties"]?[key]?["enum"]?.arrayValue)
            #expect(Set(values.map { $0.stringValue ?? ($0.isNull ? "null" : "?") }) == expected, "\(definition).\(key)")
        }
    }

    /// invalid_penalty is a number from 0 to 1 in the schema, as the server's InvalidPenalty.range.
    @Test func invalidPenaltyIsANumberFromZeroToOne() throws {
        let url = RepositoryPaths.root.appending(path: "protocol/schemas/reset.params.json")
        let field = try #require(try JSONValue.decode(try Data(contentsOf: url))["properties"]?["invalid_penalty"])
        #expect(field["type"] == "number" && field["minimum"] == 0 && field["maximum"] == 1)
    }

    @Test func scoreSplitsMatchTheSchema() throws {
        #expect(Set(ScoreSplit.allCases.map(\.rawValue)) == (try schemaEnum("score_split")))
    }
}
