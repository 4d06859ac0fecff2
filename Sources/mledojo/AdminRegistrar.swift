import Env
import Foundation
import Wire
import ZeroMQ

/// Registers published task folders with a running server through its admin endpoint (the
/// generator's `--register`): one `register_task` per folder, the token from a file for tcp://.
struct AdminRegistrar: Sendable {
    let endpoint: String
    let token: String?
    let timeoutSeconds: Int

    init(endpoint: String, tokenFile: URL?, timeoutSeconds: Int = 120) throws {
        self.endpoint = endpoint
        token = try tokenFile.map { try AdminEndpoint.readToken($0) }
        self.timeoutSeconds = timeoutSeconds
    }

    /// Registers `folder`; throws with the server's code and message when it refuses.
    func register(_ folder: URL) throws {
        let client = try BlockingClient(context: ZMQContext(), endpoint: endpoint, timeoutMilliseconds: timeoutSeconds * 1000)
        defer { client.close() }
        var params: [String: JSONValue] = ["path": .string(folder.standardizedFileURL.path)]
        if let token { params["token"] = .string(token) }
        let reply = try client.reply(.registerTask, params: params)
        guard reply["ok"]?.boolValue == true else {
            throw BlockingClient.Failure(action: .registerTask, code: reply["error"]?["code"]?.stringValue,
                                         message: reply["error"]?["message"]?.stringValue ?? "refused")
        }
    }
}
