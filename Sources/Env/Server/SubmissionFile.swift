import Foundation

/// Takes a submission out of an agent-writable workspace safely: only a regular file (never a symlink,
/// device or folder), inside the workspace, under a size cap, copied to a trusted place before grading.
enum SubmissionFile {
    static let maxBytes = 256 * 1024 * 1024

    /// Identity of a file, to tell whether a run wrote it.
    struct Fingerprint: Equatable {
        let inode: UInt64
        let modified: Int
        let modifiedNanoseconds: Int
        let size: Int64
    }

    static func fingerprint(_ file: URL) -> Fingerprint? {
        var info = stat()
        guard lstat(file.path, &info) == 0 else { return nil }
        return Fingerprint(inode: UInt64(info.st_ino), modified: info.st_mtim.tv_sec,
                           modifiedNanoseconds: info.st_mtim.tv_nsec, size: Int64(info.st_size))
    }

    /// Resolves `relativePath` inside `workspace`, refusing absolute paths and anything that leaves it.
    static func resolve(_ relativePath: String, in workspace: URL) throws -> URL {
        guard !relativePath.isEmpty, !relativePath.hasPrefix("/") else {
            throw EnvError(.badRequest, "'path' must be relative to the workspace; got '\(relativePath)'")
        }
        guard !relativePath.utf8.contains(0) else { throw EnvError(.badRequest, "'path' may not contain a NUL character") }
        let parts = relativePath.split(separator: "/")
        guard !parts.contains("..") else { throw EnvError(.badRequest, "'path' may not contain '..'") }
        let root = workspace.resolvingSymlinksInPath().standardizedFileURL
        let candidate = root.appending(path: relativePath)
        let resolved = candidate.resolvingSymlinksInPath().standardizedFileURL
        // The workspace itself is inside it: grading then finds a folder, not a regular file (FAILED).
        guard resolved.path == root.path || resolved.path.hasPrefix(root.path + "/") else {
            throw EnvError(.badRequest, "'path' leads outside the workspace")
        }
        return candidate
    }

    /// Copies `source` to `destination` if it is a regular file (no symlink at the last step) within the cap.
    /// Returns a MLE-Dojo error type and message when it is not acceptable.
    static func copy(_ source: URL, to destination: URL) -> (errorType: String, message: String)? {
        let descriptor = open(source.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = errno
            if reason == ELOOP { return ("InvalidSubmissionError", "\(source.lastPathComponent) is a symbolic link; write a regular file") }
            if reason == ENOENT { return ("SubmissionNotFoundError", "there is no file \(source.lastPathComponent) in the workspace") }
            return ("InvalidSubmissionError", "cannot open the submission: \(String(cString: strerror(reason)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return ("InvalidSubmissionError", "the submission is not a regular file")
        }
        guard info.st_size <= maxBytes else {
            return ("InvalidSubmissionError", "the submission is \(info.st_size) bytes; the limit is \(maxBytes) bytes")
        }
        do {
            let data = try handle.readToEnd() ?? Data()
            guard data.count <= maxBytes else { return ("InvalidSubmissionError", "the submission grew past the size limit") }
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: destination)
            return nil
        } catch {
            return ("InvalidSubmissionError", "cannot read the submission: \(error.localizedDescription)")
        }
    }
}
