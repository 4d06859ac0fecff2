import Foundation

extension Sandbox {
    /// The bubblewrap sandbox this host supports, probed (`IsolationReport`); throws with what failed when
    /// agent code could not run isolated here. The server and the generator both start from it.
    public static func probed(bubblewrap: String, python: String, pythonEnvironment: URL, workerDirectory: URL,
                              memoryGroups: MemoryCgroups? = nil, gpu: Bool = false) async throws -> (Sandbox, IsolationReport) {
        let report = await IsolationReport.probe(bubblewrap: bubblewrap, python: python)
        guard report.sandboxWorks else {
            let failed = report.checks.filter { !$0.ok && $0.name != "cgroups" }.map { "\($0.name): \($0.detail)" }
            throw EnvError(.internal, "the sandbox does not work on this host, so untrusted code cannot run safely "
                + "(\(failed.joined(separator: "; "))). Fix it (mledojo doctor) or start with --unsafe-no-sandbox.")
        }
        let sandbox = Sandbox(mode: .bubblewrap, bubblewrap: bubblewrap, setpriv: report.setpriv, pythonEnvironment: pythonEnvironment,
                              workerDirectory: workerDirectory, seccompFilter: report.seccompFilter, memoryGroups: memoryGroups, gpu: gpu)
        return (sandbox, report)
    }
}
