import EnvTesting
import Foundation
import Testing

@testable import Env

@Suite("Sandbox")
struct SandboxTests {
    let folders = SessionFolders(
        workspace: URL(fileURLWithPath: "/runs/s/workspace"), publicData: URL(fileURLWithPath: "/tasks/t/data/public"),
        steps: URL(fileURLWithPath: "/runs/s/steps"), logs: URL(fileURLWithPath: "/runs/s/logs"))

    func sandbox(setpriv: String?, filter: [UInt8]? = [1, 2, 3, 4, 5, 6, 7, 8]) -> Sandbox {
        Sandbox(mode: .bubblewrap, bubblewrap: "/usr/bin/bwrap", setpriv: setpriv,
                pythonEnvironment: URL(fileURLWithPath: "/srv/app/.venv"),
                workerDirectory: URL(fileURLWithPath: "/srv/app/python/mledojo_sandbox"), seccompFilter: filter)
    }

    @Test func anUnprivilegedServerUsesAUserNamespaceAndNoSetpriv() {
        let launch = sandbox(setpriv: nil).workerLaunch(folders, uid: nil, limits: .serverDefault)
        #expect(launch.executable == "/usr/bin/bwrap")
        #expect(launch.arguments.starts(with: ["--unshare-all", "--unshare-user", "--disable-userns"]))
        let command = Array(launch.arguments.drop { $0 != "--" })
        #expect(command == ["--", "/srv/app/.venv/bin/python", "-u", "/opt/mledojo/zygote.py"])
    }

    @Test func aRootServerMountsAsRootAndDropsToTheSessionUIDInside() {
        let launch = sandbox(setpriv: "/usr/bin/setpriv").workerLaunch(folders, uid: 200_123, limits: .serverDefault)
        #expect(!launch.arguments.contains("--unshare-user") && !launch.arguments.contains("--unshare-all"))
        let command = Array(launch.arguments.drop { $0 != "--" }.dropFirst())
        #expect(command.first == "/usr/bin/setpriv")
        #expect(command.contains("--reuid=200123") && command.contains("--regid=200123"))
        #expect(command.contains("--bounding-set=-all") && command.contains("--clear-groups"))
        #expect(Array(command.suffix(3)) == ["/srv/app/.venv/bin/python", "-u", "/opt/mledojo/zygote.py"])
    }

    @Test func theWorkerIsPID1AndTheFilterComesOnDescriptor3() {
        for layout in [sandbox(setpriv: nil), sandbox(setpriv: "/usr/bin/setpriv")] {
            let launch = layout.workerLaunch(folders, uid: 200_000, limits: .serverDefault)
            #expect(launch.arguments.contains("--as-pid-1"))
            let seccomp = launch.arguments.firstIndex(of: "--seccomp")
            #expect(seccomp.map { launch.arguments[$0 + 1] } == "3")
            #expect(launch.descriptor3 == [1, 2, 3, 4, 5, 6, 7, 8])
            #expect(launch.environment == ["PATH=/usr/bin:/bin"])
        }
        let unfiltered = sandbox(setpriv: nil, filter: nil).workerLaunch(folders, uid: nil, limits: .serverDefault)
        #expect(!unfiltered.arguments.contains("--seccomp") && unfiltered.descriptor3 == nil)
    }

    @Test func mountsKeepTheirModes() {
        let arguments = sandbox(setpriv: nil).workerLaunch(folders, uid: nil, limits: .serverDefault).arguments
        func mount(_ destination: String) -> String? {
            let index = arguments.indices.dropLast(2).first {
                ["--bind", "--ro-bind"].contains(arguments[$0]) && arguments[$0 + 2] == destination
            }
            return index.map { arguments[$0] }
        }
        #expect(mount("/workspace") == "--bind" && mount("/logs") == "--bind")
        #expect(mount("/data") == "--ro-bind" && mount("/code") == "--ro-bind" && mount("/opt/mledojo") == "--ro-bind")
    }

    @Test func aVenvUnderTmpGetsReachableFoldersInsideTheSandboxTmp() throws {
        let underTmp = Sandbox(mode: .bubblewrap, bubblewrap: "/usr/bin/bwrap", setpriv: "/usr/bin/setpriv",
                               pythonEnvironment: URL(fileURLWithPath: "/tmp/clone/.venv"),
                               workerDirectory: URL(fileURLWithPath: "/tmp/clone/python/mledojo_sandbox"))
        let arguments = underTmp.workerLaunch(folders, uid: 200_000, limits: .serverDefault).arguments
        func position(_ pair: [String]) -> Int? {
            arguments.indices.dropLast().first { Array(arguments[$0...($0 + 1)]) == pair }
        }
        let tmpfs = try #require(position(["--tmpfs", "/tmp"]))
        let folder = try #require(position(["--dir", "/tmp/clone"]))
        let venv = try #require(position(["--ro-bind", "/tmp/clone/.venv"]))
        let ldCache = try #require(position(["--ro-bind", "/etc/ld.so.cache"]))
        let etc = try #require(position(["--dir", "/etc"]))
        #expect(tmpfs < folder && folder < venv)
        #expect(etc < ldCache)
        #expect(arguments[folder - 1] == "0755" && arguments[folder - 2] == "--perms")
    }

    @Test func parentFoldersComeParentsFirst() {
        let folders = Sandbox.parentFolders(of: ["/srv/app/.venv", "/etc/ld.so.cache", "/opt/mledojo", "/data"])
        #expect(folders == ["/etc", "/opt", "/srv", "/srv/app"])
    }

    @Test func theSyscallPolicyCompilesAndDeniesTheEscapes() throws {
        let names = Set(SandboxSyscallPolicy.rules.map(\.syscall))
        #expect(names.isSuperset(of: ["ptrace", "process_vm_writev", "unshare", "setns", "mount", "bpf", "clone3"]))
        #expect(SandboxSyscallPolicy.rules.first { $0.syscall == "clone3" }?.errno == ENOSYS)
        #expect(try !SandboxSyscallPolicy.compile().isEmpty)
    }

    @Test func descriptor3ReachesTheChild() async throws {
        let pipe = try ChildProcess.makeFilledPipe(Array("filter bytes".utf8))
        defer { close(pipe) }
        let outcome = try await ChildProcess.run(
            executable: "/bin/sh", arguments: ["-c", "cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '"],
            environment: ["PATH=/usr/bin:/bin"], limits: ProcessLimits(wallClockSeconds: 10), passing: [pipe])
        #expect(outcome.stdout.text.hasPrefix("filter bytes"))
        #expect(outcome.stdout.text.hasSuffix("0 1 2 3 4 "))  // 4: ls's own handle on the folder
    }

    @Test func theProbeFindsTheFilterEnforcedOnThisHost() async throws {
        let report = await IsolationReport.probe(bubblewrap: "/usr/bin/bwrap",
                                                 python: RepositoryPaths.venv.appending(path: "bin/python").path)
        let seccomp = report.checks.first { $0.name == "seccomp filter" }
        #expect(seccomp?.ok == true, "\(report.checks)")
        #expect(report.sandboxWorks && report.seccompFilter != nil)
    }
}
