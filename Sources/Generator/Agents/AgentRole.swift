import Wire

/// The four LLM agents of the generator (MLE-Smith's), each with its prompt, its tools and the fixed,
/// machine-checkable form of its result (the `finish` tool's arguments).
public enum AgentRole: String, CaseIterable, Sendable {
    /// Explores a dataset, proposes 1–3 formulations, one file each.
    case brainstormer
    /// Turns one formulation into a runnable task package.
    case designer
    /// Rewrites the package into the uniform format, keeping its logic.
    case refactor
    /// Judges clarity, metric fitness, leakage and shortcuts, with evidence from named files.
    case reviewer

    /// The tools the role may call: the reviewer reads and runs, but writes nothing.
    public var tools: [AgentTool] {
        self == .reviewer ? [.listDirectoryStructure, .readFile, .bash, .finish] : AgentTool.allCases
    }

    /// The JSON Schema of the role's `finish` arguments.
    public var finishSchema: JSONValue {
        switch self {
        case .brainstormer:
            AgentTool.object(["candidates": ["type": "array", "minItems": 1, "maxItems": 3, "items": ["type": "string"],
                                             "description": "the proposal files you wrote, e.g. [\"proposals/price_regression.json\"]"]],
                             required: ["candidates"])
        case .designer, .refactor:
            AgentTool.object(["summary": ["type": "string", "description": "what you built or changed, and how you tested it"]],
                             required: ["summary"])
        case .reviewer:
            AgentTool.object([
                "verdict": ["type": "string", "enum": ["pass", "fail"]],
                "scores": AgentTool.object(Dictionary(uniqueKeysWithValues: Self.reviewDimensions.map {
                    ($0, ["type": "integer", "minimum": 0, "maximum": 5] as JSONValue)
                }), required: Self.reviewDimensions),
                "issues": ["type": "array", "items": AgentTool.object([
                    "severity": ["type": "string", "enum": ["major", "minor"]],
                    "file": ["type": "string", "description": "the file that shows it, relative to the task folder"],
                    "evidence": ["type": "string", "description": "the line or value in that file"],
                    "message": ["type": "string"],
                ], required: ["severity", "file", "evidence", "message"])],
            ], required: ["verdict", "scores", "issues"])
        }
    }

    /// What the reviewer scores, 0–5 each.
    public static let reviewDimensions = ["clarity", "metric_fitness", "leakage", "shortcuts"]

    /// The tool definitions sent with each request.
    var toolDefinitions: [JSONValue] { tools.map { $0.definition(finish: finishSchema) } }

    /// With the `json` format: the schema of a reply `{"tool": NAME, "arguments": {...}}`, one branch per tool.
    var replySchema: JSONValue {
        .object(["oneOf": .array(tools.map { tool in
            AgentTool.object(["tool": ["const": .string(tool.rawValue)], "arguments": tool.parameters(finish: finishSchema)],
                             required: ["tool", "arguments"])
        })])
    }
}
