import Foundation

extension EnvService {
    /// `register_task` (admin endpoint only; protocol.md, section 4.10): loads the task folder at
    /// `params.path` with the loader the server starts with (the trusted resolver runs its metric code),
    /// records it in the store and serves it at once. Registrations run one at a time (another one
    /// meanwhile is BUSY); sessions on other tasks are not touched.
    func registerTask(_ request: Request) async throws -> JSONValue {
        let path = try request.string("path")
        let replace = try request.optionalBool("replace") ?? false
        let folder = try Self.registrableFolder(path, tasksDirectory: configuration.tasksDirectory)
        let admitted = registering.withLock { busy in
            guard !busy else { return false }
            busy = true
            return true
        }
        guard admitted else {
            throw EnvError(.busy, "another register_task is being answered; send this one again when it is done")
        }
        defer { registering.withLock { $0 = false } }
        let task: CompetitionTask
        do {
            task = try await offTheSocketThread { try await self.loader.load(folder) }
        } catch let error as GraderError {
            throw EnvError(.badRequest, "the task at \(path) cannot be loaded: the resolver refused it: \(error)")
        }
        try Identifier.check(task.id, field: "the task's id")
        if !replace, catalog.task(task.id) != nil {
            throw EnvError(.badRequest, "a task '\(task.id)' is already served; send \"replace\": true to replace it")
        }
        try await store.recordTasks([task])
        let insertion = catalog.insert(task, replacing: replace)
        guard insertion != .refused else {  // registrations run one at a time: only a bug gets here
            throw EnvError(.internal, "task '\(task.id)' appeared while it was being registered")
        }
        if insertion == .replaced { await dropSpares(of: task.id) }  // made on the task's old files
        return ["task": task.summary, "replaced": .bool(insertion == .replaced)]
    }

    /// The folder `path` names, symbolic links resolved, when it is a folder inside the tasks folder;
    /// BAD_REQUEST otherwise (relative, missing, not a folder, or outside once resolved).
    static func registrableFolder(_ path: String, tasksDirectory: URL) throws -> URL {
        try Identifier.check(path, field: "parameter 'path'")
        guard path.hasPrefix("/") else {
            throw EnvError(.badRequest, "parameter 'path' must be an absolute path to a task folder; got '\(path)'")
        }
        guard let root = TaskFile.realPath(tasksDirectory.path) else {
            throw EnvError(.internal, "the tasks folder \(tasksDirectory.path) cannot be resolved")
        }
        guard let resolved = TaskFile.realPath(path) else { throw EnvError(.badRequest, "no folder at '\(path)'") }
        guard resolved != root, resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw EnvError(.badRequest, "'\(path)' (\(resolved) with symbolic links resolved) is not inside the server's "
                + "tasks folder \(root); only task folders there can be registered")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EnvError(.badRequest, "'\(path)' is not a folder")
        }
        return URL(fileURLWithPath: resolved, isDirectory: true)
    }
}
