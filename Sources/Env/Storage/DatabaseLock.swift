import Foundation
import Synchronization

/// Keeps a second live server off a database this one serves: an exclusive `flock` on `<database>.lock`,
/// held for the server's life and released by the kernel when its process ends, however it ends (so a
/// killed server never leaves a stale lock). The file holds the holder's pid, for the second server's error.
public final class DatabaseLock: Sendable {
    public let path: String
    /// The locked file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>

    /// Takes the lock, or throws `INTERNAL` naming the live server that holds it.
    public init(database: String) throws {
        path = database + ".lock"
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EnvError(.internal, "cannot open the database lock \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw EnvError(.internal, "the database \(database) is in use by another live server\(holder.isEmpty ? "" : " (pid \(holder))"); "
                + "stop it, or give this server a database of its own (--db)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Releases the lock (the server stopped); the file stays, unlocked. Once only.
    public func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }
}
