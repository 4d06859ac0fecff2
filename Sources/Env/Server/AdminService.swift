import Foundation

/// Answers the admin endpoint (protocol.md, section 4.10): `register_task`, plus `health` and
/// `list_tasks` for convenience. When the server has an admin token, every request must carry it in
/// `params.token` (FORBIDDEN otherwise); every other action is refused with BAD_REQUEST (a known public
/// action) or UNKNOWN_ACTION. Nothing here is stored as a session step.
public final class AdminService: Sendable {
    let service: EnvService
    private let token: String?

    public init(service: EnvService, token: String?) {
        self.service = service
        self.token = token
    }

    /// One frame in, one reply frame out.
    public func handle(frame: Data) async -> Data {
        await EnvService.answer(frame) { await self.reply(to: $0) }
    }

    func reply(to request: Request) async -> EncodedReply {
        await service.admitted(request) {
            try authorize(request)
            switch request.action {
            case .registerTask: return .success(id: request.id, result: try await service.registerTask(request))
            case .health: return .success(id: request.id, result: try await service.health())
            case .listTasks: return .success(id: request.id, result: service.taskListing)
            default:
                throw EnvError(.badRequest, "'\(request.action)' is not an admin action; the admin endpoint answers "
                    + "register_task, health and list_tasks (send it to the public endpoint)")
            }
        }
    }

    private func authorize(_ request: Request) throws {
        guard let token else { return }
        guard let given = request.params["token"]?.stringValue, AdminEndpoint.tokensMatch(given, token) else {
            throw EnvError(.forbidden, "admin requests need the admin token in params.token")
        }
    }
}
