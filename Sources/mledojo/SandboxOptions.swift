import ArgumentParser
import Env
import Foundation

/// How commands that run task code nobody reviewed (packages an LLM wrote) isolate it: bubblewrap, probed
/// first, or — only when asked — nothing. Shared by `generate` and `tasks verify`.
struct SandboxOptions: ParsableArguments {
    @Option(help: "bubblewrap, which runs untrusted task code.")
    var bubblewrap = "/usr/bin/bwrap"
    @Flag(help: "Run untrusted task code without the sandbox (a host where bubblewrap cannot work; never with code you do not trust).")
    var unsafeNoSandbox = false

    /// The sandbox for one-shot commands, with `venv` and `runtime` inside; throws with what failed when
    /// bubblewrap cannot isolate on this host.
    func commands(venv: URL, runtime: URL) async throws -> SandboxedCommand {
        if unsafeNoSandbox {
            return SandboxedCommand(sandbox: Sandbox(mode: .unsafeNoSandbox, bubblewrap: bubblewrap, setpriv: nil, pythonEnvironment: venv,
                                                     workerDirectory: runtime))
        }
        let (sandbox, _) = try await Sandbox.probed(bubblewrap: bubblewrap, python: venv.appending(path: "bin/python").path,
                                                    pythonEnvironment: venv, workerDirectory: runtime)
        return SandboxedCommand(sandbox: sandbox)
    }
}
