import EnvTesting
import Foundation
import Testing

@testable import Wire

@Suite("ErrorCode")
struct ErrorCodeTests {
    /// The codes the server sends are exactly those protocol/schemas/error.json states (the fuzzer and
    /// the clients read them there).
    @Test func theSchemaListsEveryCode() throws {
        let url = RepositoryPaths.root.appending(path: "protocol/schemas/error.json")
        let schema = try JSONValue.decode(try Data(contentsOf: url))
        let listed = try #require(schema["properties"]?["code"]?["enum"]?.arrayValue).compactMap(\.stringValue)
        #expect(listed == ErrorCode.allCases.map(\.rawValue))
    }
}
