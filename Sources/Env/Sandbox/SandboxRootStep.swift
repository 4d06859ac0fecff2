import Foundation

/// One step of assembling a sandbox's root, in order. A launched worker's steps become bubblewrap's
/// arguments (`bubblewrapArguments`); a forked worker's go to the fork server as JSON (`json`), whose
/// fork performs them itself (python/mledojo_sandbox/confine.py). One layout, two ways to build it.
enum SandboxRootStep: Sendable, Equatable {
    /// A host folder or file at `path`; read-only unless `writable`; skipped when `optional` and missing.
    case bind(source: String, path: String, writable: Bool = false, optional: Bool = false)
    case symlink(target: String, path: String)
    /// A /proc of the sandbox's own PID namespace.
    case proc(String)
    /// A minimal /dev: null, zero, full, random, urandom, tty and the /proc/self/fd links.
    case dev(String)
    /// A tmpfs of at most `bytes`, with mode `perms` (octal).
    case tmpfs(String, bytes: Int, perms: String)
    case directory(String, perms: String)
    case remountReadOnly(String)

    var bubblewrapArguments: [String] {
        switch self {
        case .bind(let source, let path, let writable, let optional):
            [writable ? "--bind" : (optional ? "--ro-bind-try" : "--ro-bind"), source, path]
        case .symlink(let target, let path): ["--symlink", target, path]
        case .proc(let path): ["--proc", path]
        case .dev(let path): ["--dev", path]
        case .tmpfs(let path, let bytes, let perms): ["--perms", perms, "--size", String(bytes), "--tmpfs", path]
        case .directory(let path, let perms): ["--perms", perms, "--dir", path]
        case .remountReadOnly(let path): ["--remount-ro", path]
        }
    }

    var json: JSONValue {
        switch self {
        case .bind(let source, let path, let writable, let optional):
            ["op": "bind", "source": .string(source), "path": .string(path), "writable": .bool(writable), "optional": .bool(optional)]
        case .symlink(let target, let path): ["op": "symlink", "target": .string(target), "path": .string(path)]
        case .proc(let path): ["op": "proc", "path": .string(path)]
        case .dev(let path): ["op": "dev", "path": .string(path)]
        case .tmpfs(let path, let bytes, let perms): ["op": "tmpfs", "path": .string(path), "bytes": .number(Double(bytes)), "perms": .string(perms)]
        case .directory(let path, let perms): ["op": "dir", "path": .string(path), "perms": .string(perms)]
        case .remountReadOnly(let path): ["op": "remount_ro", "path": .string(path)]
        }
    }
}
