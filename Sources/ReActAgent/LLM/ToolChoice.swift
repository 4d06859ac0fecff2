import Wire

/// The `tool_choice` of a request that offers tools: how strongly the endpoint must make the model
/// call one. Endpoints differ: OpenAI, vLLM, SGLang and llama.cpp's server constrain decoding for
/// `required`; llama-cpp-python's server honours only a named function (and `auto` with its
/// `chatml-function-calling` chat format).
public enum ToolChoice: Sendable, Equatable, CustomStringConvertible {
    /// The model must call one of the tools (`"required"`).
    case required
    /// The model may call a tool or answer in text (`"auto"`).
    case auto
    /// The model must call this tool (`{"type": "function", "function": {"name": ...}}`).
    case function(String)

    /// Reads the command-line form: `required`, `auto` or `function:NAME`.
    public init?(option: String) {
        switch option {
        case "required": self = .required
        case "auto": self = .auto
        default:
            guard option.hasPrefix("function:"), option.count > "function:".count else { return nil }
            self = .function(String(option.dropFirst("function:".count)))
        }
    }

    public var description: String {
        switch self {
        case .required: "required"
        case .auto: "auto"
        case .function(let name): "function:\(name)"
        }
    }

    /// The request field.
    public var json: JSONValue {
        switch self {
        case .required: "required"
        case .auto: "auto"
        case .function(let name): ["type": "function", "function": ["name": .string(name)]]
        }
    }
}
