import Foundation

/// Where the admin endpoint listens and what guards it (protocol.md, section 4.10). An `ipc://` socket
/// is opened only by the server's user: its file is made 0600, its folder may not be world-writable and
/// may not be one the sandbox mounts (so agent code cannot even see it). A `tcp://` one is allowed only
/// with a token, read from a file only the server's user may read, that every admin request carries.
public struct AdminEndpoint: Sendable {
    /// The endpoint as configured (`ipc:///path` or `tcp://host:port`).
    public let endpoint: String
    /// The socket file of an `ipc://` endpoint; nil for `tcp://`.
    public let socketPath: String?
    /// The token every admin request must carry in `params.token`; nil when none is required.
    public let token: String?

    /// The longest socket path a unix socket address holds (sun_path less its NUL).
    static let maxSocketPathBytes = 107

    /// Checks the endpoint's kind and reads the token file, when given.
    public init(endpoint: String, tokenFile: URL?) throws {
        self.endpoint = endpoint
        token = try tokenFile.map(Self.readToken)
        if endpoint.hasPrefix("ipc://") {
            let path = String(endpoint.dropFirst("ipc://".count))
            guard path.hasPrefix("/") else {
                throw Self.refusal("the admin endpoint \(endpoint) must name an absolute socket path (ipc:///folder/admin.sock)")
            }
            guard path.utf8.count <= Self.maxSocketPathBytes else {
                throw Self.refusal("the admin socket path \(path) is \(path.utf8.count) bytes; a unix socket path holds at most "
                    + "\(Self.maxSocketPathBytes): choose a shorter --admin-bind ipc://PATH (or --db in a shorter folder)")
            }
            socketPath = path
        } else if endpoint.hasPrefix("tcp://") {
            guard token != nil else {
                throw Self.refusal("a tcp:// admin endpoint (\(endpoint)) needs --admin-token-file: anyone who can reach the "
                    + "port could otherwise make the server run task code")
            }
            socketPath = nil
        } else {
            throw Self.refusal("the admin endpoint \(endpoint) must be ipc:// or tcp://")
        }
    }

    /// Before binding: an `ipc://` socket's folder must exist, not be world-writable and not be visible in
    /// the sandbox (inside none of `sandboxFolders`, the host folders it mounts), and no live server may be
    /// listening on the socket already.
    public func checkBeforeBind(sandboxFolders: [URL]) throws {
        guard let socketPath else { return }
        let folder = URL(fileURLWithPath: socketPath).deletingLastPathComponent().path
        var info = stat()
        guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Self.refusal("the admin socket's folder \(folder) does not exist")
        }
        guard info.st_mode & S_IWOTH == 0 else {
            throw Self.refusal("the admin socket's folder \(folder) is world-writable, so another user could replace the "
                + "socket: choose --admin-bind ipc://PATH in a folder only this user can write to")
        }
        let resolvedFolder = TaskFile.realPath(folder) ?? folder
        for visible in sandboxFolders {
            let mounted = TaskFile.realPath(visible.path) ?? visible.standardizedFileURL.path
            if resolvedFolder == mounted || resolvedFolder.hasPrefix(mounted.hasSuffix("/") ? mounted : mounted + "/") {
                throw Self.refusal("the admin socket's folder \(folder) is inside \(mounted), which agent code sees in the "
                    + "sandbox: choose --admin-bind ipc://PATH elsewhere")
            }
        }
        if UnixSocketProbe.someoneListens(at: socketPath) {
            throw Self.refusal("another process is serving the admin socket \(socketPath) (another server with this --db "
                + "folder?): stop it or choose --admin-bind")
        }
    }

    /// After binding: the socket file readable and writable by the server's user only.
    public func secureAfterBind() throws {
        guard let socketPath else { return }
        guard chmod(socketPath, 0o600) == 0 else {
            throw Self.refusal("cannot make the admin socket \(socketPath) 0600: \(String(cString: strerror(errno)))")
        }
    }

    /// The token in `file`, refused unless the file belongs to the server's user and no one else may read it.
    public static func readToken(_ file: URL) throws -> String {
        var info = stat()
        guard stat(file.path, &info) == 0 else { throw refusal("cannot read the admin token file \(file.path)") }
        guard info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            throw refusal("the admin token file \(file.path) must belong to this user and be readable by it only (chmod 600)")
        }
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw refusal("cannot read the admin token file \(file.path): \(error)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count >= 16 else {
            throw refusal("the admin token in \(file.path) must be at least 16 characters (e.g. openssl rand -hex 32)")
        }
        return token
    }

    /// Whether `given` is the token, in time that depends only on the token's length.
    public static func tokensMatch(_ given: String, _ expected: String) -> Bool {
        let given = Array(given.utf8), expected = Array(expected.utf8)
        var difference = given.count ^ expected.count
        for index in expected.indices {
            difference |= Int((index < given.count ? given[index] : 0) ^ expected[index])
        }
        return difference == 0
    }

    private static func refusal(_ message: String) -> EnvError { EnvError(.internal, message) }
}
