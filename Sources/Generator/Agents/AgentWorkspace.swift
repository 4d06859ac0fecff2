import Env
import Foundation
import Wire

/// Where a generator agent works and what its tools do there: file tools confined to its work folder
/// (writes) and the read-only folders it was given (the dataset), and `bash` run by `SandboxedCommand` in
/// the work folder — no network, the sandbox's limits — with the Python environment and the `mledojo`
/// runtime importable. A bad argument or a path outside these folders is a tool error the model reads,
/// never a crash.
public struct AgentWorkspace: Sendable {
    /// What a tool call gave back.
    public struct Result: Sendable, Equatable {
        public var ok: Bool
        public var text: String
    }

    public let root: URL
    public let readable: [URL]
    public let shell: SandboxedCommand
    public let venv: URL
    public let runtime: URL
    /// Whether `write_file` may write (false for the reviewer).
    public let writable: Bool
    public var shellSeconds: Double = 600

    static let readLimit = 8000
    static let writeLimit = 2 << 20
    static let listLimit = 300

    public init(root: URL, readable: [URL], shell: SandboxedCommand, venv: URL, runtime: URL, writable: Bool = true) {
        self.root = root.standardizedFileURL
        self.readable = readable.map(\.standardizedFileURL)
        self.shell = shell
        self.venv = venv
        self.runtime = runtime
        self.writable = writable
    }

    /// Runs one call; `arguments` is the call's JSON object.
    public func execute(_ tool: AgentTool, _ arguments: JSONValue) async -> Result {
        do {
            switch tool {
            case .listDirectoryStructure:
                return try list(arguments["path"]?.stringValue ?? ".", depth: Int(arguments["depth"]?.numberValue ?? 2))
            case .readFile:
                return try read(try required("path", arguments), offset: Int(arguments["offset"]?.numberValue ?? 0),
                                maxBytes: Int(arguments["max_bytes"]?.numberValue ?? Double(Self.readLimit)))
            case .writeFile:
                return try write(try required("path", arguments), content: try required("content", arguments))
            case .bash:
                return await bash(try required("command", arguments), seconds: arguments["timeout_s"]?.numberValue ?? shellSeconds)
            case .finish:
                return Result(ok: false, text: "error: finish is handled by the agent loop")
            }
        } catch {
            return Result(ok: false, text: "error: \(error.message)")
        }
    }

    private func required(_ name: String, _ arguments: JSONValue) throws(ToolArgumentError) -> String {
        guard let value = arguments[name]?.stringValue else { throw ToolArgumentError(message: "the argument '\(name)' (a string) is missing") }
        return value
    }

    /// `path` resolved against the work folder, symbolic links followed; it must lie in an allowed folder.
    func resolve(_ path: String, forWriting: Bool) throws(ToolArgumentError) -> URL {
        let trimmed = path.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !trimmed.contains("\0") else { throw ToolArgumentError(message: "an empty path") }
        let url = (trimmed.hasPrefix("/") ? URL(fileURLWithPath: trimmed) : root.appending(path: trimmed)).standardizedFileURL
        let real = Self.realPath(url)
        let allowed = forWriting ? [root] : [root] + readable
        guard allowed.contains(where: { Self.isInside(real, Self.realPath($0)) }) else {
            throw ToolArgumentError(message: "\(trimmed) is outside the folders you may \(forWriting ? "write" : "read") "
                + "(\(allowed.map(\.path).joined(separator: ", ")))")
        }
        return real
    }

    private func list(_ path: String, depth: Int) throws(ToolArgumentError) -> Result {
        let folder = try resolve(path, forWriting: false)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ToolArgumentError(message: "\(path) is not a folder")
        }
        var lines = ["\(folder.path)/"]
        walk(folder, prefix: "  ", depth: max(1, min(depth, 4)), into: &lines)
        if lines.count > Self.listLimit { lines = Array(lines.prefix(Self.listLimit)) + ["... (\(lines.count - Self.listLimit) more)"] }
        return Result(ok: true, text: lines.joined(separator: "\n"))
    }

    private func walk(_ folder: URL, prefix: String, depth: Int, into lines: inout [String]) {
        guard depth > 0, lines.count <= Self.listLimit,
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() else { return }
        for name in names where !name.hasPrefix(".") {
            let url = folder.appending(path: name)
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
            if attributes?[.type] as? FileAttributeType == .typeDirectory {
                lines.append("\(prefix)\(name)/")
                walk(url, prefix: prefix + "  ", depth: depth - 1, into: &lines)
            } else {
                lines.append("\(prefix)\(name) (\((attributes?[.size] as? NSNumber)?.intValue ?? 0) bytes)")
            }
        }
    }

    private func read(_ path: String, offset: Int, maxBytes: Int) throws(ToolArgumentError) -> Result {
        let file = try resolve(path, forWriting: false)
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw ToolArgumentError(message: "cannot read \(path)") }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
        let start = max(0, min(offset, size))
        let limit = max(1, min(maxBytes, 20000))
        try? handle.seek(toOffset: UInt64(start))
        let data = (try? handle.read(upToCount: limit)) ?? Data()
        // A page cut inside a multi-byte character ends before it, and the next page starts with it.
        var kept = data
        var text = String(data: data, encoding: .utf8)
        if text == nil, start + data.count < size {
            for drop in 1...3 where drop < data.count {
                kept = data.dropLast(drop)
                if let valid = String(data: kept, encoding: .utf8) { text = valid; break }
            }
        }
        guard let text else { throw ToolArgumentError(message: "\(path) is not UTF-8 text") }
        let end = start + kept.count
        let note = end < size ? "\n[... bytes \(start)–\(end) of \(size); read on with offset \(end)]" : ""
        return Result(ok: true, text: text + note)
    }

    private func write(_ path: String, content: String) throws(ToolArgumentError) -> Result {
        guard writable else { throw ToolArgumentError(message: "this agent may not write files") }
        guard content.utf8.count <= Self.writeLimit else {
            throw ToolArgumentError(message: "\(content.utf8.count) bytes is over the \(Self.writeLimit)-byte limit of one file")
        }
        let file = try resolve(path, forWriting: true)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: file, options: .atomic)
        } catch {
            throw ToolArgumentError(message: "cannot write \(path): \(error.localizedDescription)")
        }
        return Result(ok: true, text: "wrote \(content.utf8.count) bytes to \(file.path)")
    }

    private func bash(_ command: String, seconds: Double) async -> Result {
        let folders = [SandboxedCommand.Folder(root, writable: writable)] + Sandbox.runtimeFolders(runtime).map { SandboxedCommand.Folder($0) }
            + readable.map { SandboxedCommand.Folder($0) }
        let environment = ["PATH": "\(venv.path)/bin:/usr/bin:/bin", "PYTHONPATH": runtime.path, "VIRTUAL_ENV": venv.path]
        let seconds = max(1, min(seconds, 600))
        do {
            let outcome = try await shell.run(["/bin/bash", "-c", command], in: root, folders: folders, environment: environment,
                                              limits: .init(wallClockSeconds: seconds, outputBytes: 6000))
            var text = "exit code: \(outcome.exitCode.map(String.init) ?? "none (signal \(outcome.signal ?? 0))")"
            if outcome.timedOut { text += " (stopped at the \(Int(seconds)) s limit)" }
            if !outcome.stdout.text.isEmpty { text += "\nstdout:\n\(outcome.stdout.text)" }
            if !outcome.stderr.text.isEmpty { text += "\nstderr:\n\(outcome.stderr.text)" }
            return Result(ok: outcome.exitCode == 0 && !outcome.timedOut, text: text)
        } catch {
            return Result(ok: false, text: "error: the sandbox could not run the command: \(error)")
        }
    }

    static func realPath(_ url: URL) -> URL {
        // Resolve what exists (a file to be written may not yet): the longest existing prefix, then the rest.
        var existing = url
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var real = existing.resolvingSymlinksInPath()
        for component in rest { real = real.appending(path: component) }
        return real.standardizedFileURL
    }

    static func isInside(_ url: URL, _ folder: URL) -> Bool {
        url.path == folder.path || url.path.hasPrefix(folder.path.hasSuffix("/") ? folder.path : folder.path + "/")
    }
}

/// A tool call's arguments were wrong; the message goes back to the model.
public struct ToolArgumentError: Error, Sendable {
    public let message: String
}
