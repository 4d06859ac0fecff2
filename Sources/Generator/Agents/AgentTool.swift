import Wire

/// The tools a generator agent calls, one per turn (GENERATOR.md): file I/O over its work folder, a shell
/// in the sandbox, and `finish`, whose arguments are the agent's result in its role's fixed form.
public enum AgentTool: String, CaseIterable, Sendable {
    case listDirectoryStructure = "list_directory_structure"
    case readFile = "read_file"
    case writeFile = "write_file"
    case bash
    case finish

    /// What the model reads about the tool.
    var summary: String {
        switch self {
        case .listDirectoryStructure:
            "List the files and folders under a path (default: your work folder), with sizes, a few levels deep."
        case .readFile:
            "Read a text file (a CSV, a script, a report). Long files are cut; use offset to read further."
        case .writeFile:
            "Write a text file inside your work folder (parent folders are created), replacing what was there."
        case .bash:
            "Run a bash command in your work folder, inside a sandbox with no network. Python with pandas, numpy and "
                + "scikit-learn is on PATH, and the `mledojo` package (shared metrics, `python -m mledojo.check`) imports."
        case .finish:
            "End your work and hand in your result. Call it once, when everything asked of you is done."
        }
    }

    /// The JSON Schema of the tool's arguments; `finish` takes the role's result schema.
    func parameters(finish: JSONValue) -> JSONValue {
        switch self {
        case .listDirectoryStructure:
            Self.object(["path": ["type": "string", "description": "a folder; relative paths start at your work folder"],
                         "depth": ["type": "integer", "minimum": 1, "maximum": 4]], required: [])
        case .readFile:
            Self.object(["path": ["type": "string"], "offset": ["type": "integer", "minimum": 0],
                         "max_bytes": ["type": "integer", "minimum": 1, "maximum": 20000]], required: ["path"])
        case .writeFile:
            Self.object(["path": ["type": "string"], "content": ["type": "string"]], required: ["path", "content"])
        case .bash:
            Self.object(["command": ["type": "string"], "timeout_s": ["type": "integer", "minimum": 1, "maximum": 600]],
                        required: ["command"])
        case .finish:
            finish
        }
    }

    /// The function-calling definition (`{"type": "function", "function": {...}}`).
    func definition(finish: JSONValue) -> JSONValue {
        ["type": "function",
         "function": ["name": .string(rawValue), "description": .string(summary), "parameters": parameters(finish: finish)]]
    }

    static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) })]
    }
}
