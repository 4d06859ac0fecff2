/// A failure that stops an agent run before or outside an episode (bad settings, missing resources,
/// an unreachable server). Failures inside an episode end it with a reason instead.
public enum AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSettings(String)
    case resources(AgentResourceError)
    case prices(PriceTableError)
    case model(LLMError)
    case environment(EnvClientError)
    case storage(String)

    public var description: String {
        switch self {
        case .invalidSettings(let detail): "invalid settings: \(detail)"
        case .resources(let error): "\(error)"
        case .prices(let error): "\(error)"
        case .model(let error): "model: \(error)"
        case .environment(let error): "environment: \(error)"
        case .storage(let detail): "trajectory database: \(detail)"
        }
    }
}
