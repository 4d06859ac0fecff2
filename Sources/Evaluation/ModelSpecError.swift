/// Why a `--models` entry was refused.
public enum ModelSpecError: Error, Equatable, CustomStringConvertible {
    case missingEquals(String)
    case emptyName(String)
    case badName(String)
    case duplicateName(String)
    case emptyTarget(name: String)
    case badURL(name: String, url: String)
    case unknownKey(name: String, key: String)
    case malformedOption(name: String, option: String)
    case badValue(name: String, key: String, value: String, expected: String)
    case optionsWithoutEndpoint(name: String, player: String)

    public var description: String {
        switch self {
        case .missingEquals(let text): "model '\(text)': expected NAME=SPEC (NAME=BASEURL[,model=ID,...], NAME=baseline or NAME=sample)"
        case .emptyName(let text): "model '\(text)': the name before '=' is empty"
        case .badName(let name): "model '\(name)': a name may hold letters, digits, '.', '_' and '-' only"
        case .duplicateName(let name): "model '\(name)' is given twice"
        case .emptyTarget(let name): "model '\(name)': nothing after '=' (a base URL, baseline or sample)"
        case .badURL(let name, let url): "model '\(name)': '\(url)' is not an http:// or https:// URL with a host"
        case .unknownKey(let name, let key): "model '\(name)': unknown key '\(key)' (model, key_env, format, tool_choice)"
        case .malformedOption(let name, let option): "model '\(name)': '\(option)' is not KEY=VALUE"
        case .badValue(let name, let key, let value, let expected): "model '\(name)': \(key)=\(value) is not \(expected)"
        case .optionsWithoutEndpoint(let name, let player): "model '\(name)': \(player) takes no options"
        }
    }
}
