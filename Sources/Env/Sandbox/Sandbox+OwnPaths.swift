import Foundation

/// What `SandboxedCommand` and the grader for untrusted task code share: host folders bound at their own
/// paths (so paths read the same inside and out), an environment of PATH, HOME and the usual thread
/// limits, and `prlimit` limits set before the command starts.
extension Sandbox {
    /// The environment of code the server runs for itself rather than for a session (nothing of the server's).
    static func ownPathEnvironment(home: String) -> [String] {
        [
            "PATH=/usr/bin:/bin", "HOME=\(home)", "LANG=C.UTF-8", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
            "MPLBACKEND=Agg", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "TMPDIR=/tmp",
        ]
    }

    /// `command` behind `prlimit`: processes, file size, no core files, CPU seconds when given, and the address
    /// space where this sandbox limits it (`limitsAddressSpace`).
    func limited(_ command: [String], processes: Int, fileBytes: Int, cpuSeconds: Int?, memoryBytes: Int) -> [String] {
        var limited = ["/usr/bin/prlimit", "--nproc=\(processes)", "--fsize=\(fileBytes)", "--core=0"]
        if let cpuSeconds { limited.append("--cpu=\(cpuSeconds)") }
        if limitsAddressSpace { limited.append("--as=\(memoryBytes)") }
        return limited + ["--"] + command
    }
}

extension Sandbox.Mount {
    /// `url` bound at its own path inside the sandbox.
    static func ownPath(_ url: URL, writable: Bool = false) -> Sandbox.Mount {
        let path = url.standardizedFileURL.path
        return Sandbox.Mount(source: path, destination: path, writable: writable)
    }
}

extension Sandbox {
    /// What sandboxed task code needs of the trusted side, read-only: the `mledojo` runtime folder and the
    /// protocol's schemas beside it (`<repo>/protocol/schemas` for `<repo>/python`: the resolver validates
    /// task.json with them), when there.
    public static func runtimeFolders(_ runtime: URL) -> [URL] {
        let runtime = runtime.standardizedFileURL
        let schemas = runtime.deletingLastPathComponent().appending(path: "protocol/schemas")
        return [runtime] + (FileManager.default.fileExists(atPath: schemas.path) ? [schemas] : [])
    }
}
