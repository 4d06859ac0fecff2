import Foundation

/// How the grader for untrusted task code (task.json `generated.designer == "llm"`) starts:
/// `python -m mledojo.grader --untrusted` inside the sandbox's minimal root (`Sandbox.launch`), which adds,
/// read-only and at their own host paths, the Python runtime, the protocol's schemas (the resolver
/// validates task.json with them), the runs folder (submissions) and each untrusted task's folder it has
/// been given (its metric reads the answers). No network, no writable host folder (a private /tmp only),
/// the seccomp filter, `prlimit` limits; a root server drops to `uid`, which no session gets.
///
/// With `--unsafe-no-sandbox` it is a plain `python -m mledojo.grader --untrusted`, as reachable as the
/// trusted grader.
struct GraderSandbox: Sendable {
    /// The host uid a root server grades untrusted code as. Sessions get 200 000 and up (`Store.nextSandboxUID`),
    /// `SandboxedCommand` 64 998, the start-up probe 64 999.
    static let uid: UInt32 = 64_997
    /// Memory the grader may map where the sandbox limits the address space (no memory cgroup, no GPU).
    static let memoryBytes = 16 << 30

    let sandbox: Sandbox
    let python: String
    let runtimeDirectory: URL
    let runsDirectory: URL

    /// The command line of a grader that sees `taskFolders`.
    func launch(taskFolders: [URL]) -> Sandbox.Launch {
        let command = [python, "-m", "mledojo.grader", "--untrusted"]
        var environment = Sandbox.ownPathEnvironment(home: "/tmp") + ["PYTHONPATH=\(runtimeDirectory.standardizedFileURL.path)"]
        guard sandbox.mode == .bubblewrap else {
            environment = environment.filter { !$0.hasPrefix("HOME=") && !$0.hasPrefix("TMPDIR=") }
            return Sandbox.Launch(executable: python, arguments: Array(command.dropFirst()), environment: environment, descriptor3: nil)
        }
        // A folder gone since (a task removed) would stop bubblewrap, and with it every untrusted task's grading.
        let present = taskFolders.filter { FileManager.default.fileExists(atPath: $0.path) }
        let readable = Sandbox.runtimeFolders(runtimeDirectory) + [runsDirectory] + present
        let limited = sandbox.limited(command, processes: 256, fileBytes: 1 << 30, cpuSeconds: nil, memoryBytes: Self.memoryBytes)
        return sandbox.launch(mounts: readable.map { Sandbox.Mount.ownPath($0) }, workingDirectory: "/tmp",
                              uid: sandbox.setpriv == nil ? nil : Self.uid, tmpBytes: 512 << 20,
                              environment: environment, command: limited)
    }

    /// Whether `folder` is one of `mounted` or inside one.
    static func covers(_ mounted: [URL], _ folder: URL) -> Bool {
        let path = folder.standardizedFileURL.path
        return mounted.contains { root in
            let rootPath = root.standardizedFileURL.path
            return path == rootPath || path.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/")
        }
    }
}
