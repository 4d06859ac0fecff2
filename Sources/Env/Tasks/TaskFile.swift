import Foundation

/// The task files request_info serves, read on each request (an edited file shows at once), and the
/// resolved paths register_task and the admin endpoint compare.
enum TaskFile {
    /// realpath(3): the absolute path with every symbolic link, `.` and `..` resolved; nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// At most `limit` bytes of a task file as text (an unreadable file reads as empty). Plain
    /// open/read: FileHandle cost more than the rest of a request_info("overview").
    static func readText(_ file: URL, limit: Int) throws -> String {
        let descriptor = file.withUnsafeFileSystemRepresentation { path in path.map { open($0, O_RDONLY | O_CLOEXEC) } ?? -1 }
        guard descriptor >= 0 else { throw EnvError(.internal, "the task has no \(file.lastPathComponent)") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit, 64 * 1024))
        while bytes.count < limit {
            let count = read(descriptor, &chunk, min(chunk.count, limit - bytes.count))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
