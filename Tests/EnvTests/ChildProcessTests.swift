import EnvTesting
import Foundation
import Testing

@testable import Env

/// True once `pid` no longer runs (absent, or a zombie waiting for a lazy reaper).
func processIsGone(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // Fields after the parenthesised command name: "S ..." where S is the state.
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Reads a pid a child wrote to `file`, waiting for it to appear.
func waitForPid(in file: URL, within seconds: Double = 10) async -> pid_t? {
    var pid: pid_t?
    _ = await eventually(within: seconds) {
        pid = (try? String(contentsOf: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return pid != nil
    }
    return pid
}

@Suite("ChildProcess")
struct ChildProcessTests {
    let environment = ["PATH=/usr/bin:/bin"]

    private func sh(_ script: String, seconds: Double = 30, cancellation: RunCancellation? = nil,
                    limits: ProcessLimits? = nil, logDirectory: URL? = nil) async throws -> ProcessOutcome {
        try await ChildProcess.run(
            executable: "/bin/sh", arguments: ["-c", script], environment: environment,
            limits: limits ?? ProcessLimits(wallClockSeconds: seconds), logDirectory: logDirectory, cancellation: cancellation)
    }

    @Test func exitCodeAndOutputAreCaptured() async throws {
        let outcome = try await sh("echo out; echo err >&2; printf tail; exit 3")
        #expect(outcome.exitCode == 3)
        #expect(outcome.signal == nil)
        #expect(outcome.stdout.text == "out\ntail")
        #expect(outcome.stderr.text == "err\n")
        #expect(!outcome.timedOut && !outcome.cancelled)
        #expect(outcome.durationSeconds < 10)
    }

    @Test func successExitsZero() async throws {
        let outcome = try await ChildProcess.run(executable: "/bin/true", arguments: [], environment: [],
                                                 limits: ProcessLimits(wallClockSeconds: 10))
        #expect(outcome.exitCode == 0 && outcome.stdout.text.isEmpty)
    }

    @Test func theExplicitEnvironmentIsAllTheChildSees() async throws {
        let outcome = try await ChildProcess.run(
            executable: "/usr/bin/env", arguments: [], environment: ["ONLY_THIS=1", "AND_THAT=two words"],
            limits: ProcessLimits(wallClockSeconds: 10))
        #expect(outcome.exitCode == 0)
        #expect(Set(outcome.stdout.text.split(separator: "\n")) == ["ONLY_THIS=1", "AND_THAT=two words"])
    }

    @Test func workingDirectoryAndStdinAreSet() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let outcome = try await ChildProcess.run(
            executable: "/bin/sh", arguments: ["-c", "pwd; cat; echo end"], environment: environment,
            workingDirectory: folder.url.path, limits: ProcessLimits(wallClockSeconds: 10))
        // stdin is /dev/null, so cat ends at once.
        #expect(outcome.stdout.text == folder.url.path + "\nend\n")
    }

    @Test func outputOverTheLimitIsCutAndLogged() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let outcome = try await sh(
            "head -c 100000 /dev/zero | tr '\\0' x; echo; echo done >&2",
            limits: ProcessLimits(wallClockSeconds: 30, outputBytes: 100, logBytes: 1000), logDirectory: folder.url)
        #expect(outcome.stdout.truncated && outcome.stdout.totalBytes == 100_001)
        #expect(outcome.stderr.text == "done\n")
        #expect(try Data(contentsOf: folder.url.appending(path: "stdout.log")).count == 1000)
        #expect(try String(contentsOf: folder.url.appending(path: "stderr.log"), encoding: .utf8) == "done\n")
    }

    @Test func timeoutKillsTheChildAndItsBackgroundGrandchild() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let pidFile = folder.url.appending(path: "grandchild.pid")
        let outcome = try await sh("sleep 100 & echo $! > '\(pidFile.path)'; sleep 100", seconds: 1)
        #expect(outcome.timedOut && !outcome.cancelled)
        #expect(outcome.signal == SIGKILL && outcome.exitCode == nil)
        #expect(outcome.durationSeconds >= 1 && outcome.durationSeconds < 10)
        let grandchild = try #require(await waitForPid(in: pidFile, within: 1))
        #expect(await eventually(within: 5) { processIsGone(grandchild) }, "grandchild \(grandchild) still runs")
    }

    @Test func aChildThatClosesItsOutputStillHitsTheDeadline() async throws {
        let outcome = try await sh("exec >/dev/null 2>&1; sleep 100", seconds: 1)
        #expect(outcome.timedOut && outcome.signal == SIGKILL)
        #expect(outcome.durationSeconds < 10)
    }

    @Test func cancellationStopsARun() async throws {
        let cancellation = try RunCancellation()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let mark = folder.url.appending(path: "started")
        let started = Date()
        async let outcome = sh("echo started; touch '\(mark.path)'; sleep 100", seconds: 60, cancellation: cancellation)
        // Cancel once the output is written (a fixed wait was too short on a loaded machine).
        #expect(await eventually(within: 20) { FileManager.default.fileExists(atPath: mark.path) })
        #expect(cancellation.cancel())
        #expect(!cancellation.cancel())  // only the first request counts
        let result = try await outcome
        #expect(result.cancelled && !result.timedOut)
        #expect(result.signal == SIGKILL)
        #expect(result.stdout.text == "started\n")
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func cancellationBeforeTheStartStopsAtOnce() async throws {
        let cancellation = try RunCancellation()
        cancellation.cancel()
        #expect(cancellation.isCancelled)
        let outcome = try await sh("sleep 100", seconds: 60, cancellation: cancellation)
        #expect(outcome.cancelled && outcome.durationSeconds < 10)
    }

    @Test func theChildsSignalMaskIsEmpty() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let pidFile = folder.url.appending(path: "child.pid")
        async let outcome = sh("echo $$ > '\(pidFile.path)'; exec sleep 30", seconds: 30)
        let pid = try #require(await waitForPid(in: pidFile))
        // Wait for the exec, then read the mask the kernel reports.
        #expect(await eventually(within: 5) {
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("sleep") == true
        })
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        #expect(blocked?.hasSuffix("0000000000000000") == true, "child mask: \(blocked ?? "?")")
        #expect(kill(pid, SIGTERM) == 0)
        let result = try await outcome
        #expect(result.signal == SIGTERM, "a blocked SIGTERM would leave sleep running until the deadline")
        #expect(!result.timedOut)
        #expect(result.durationSeconds < 20)
    }

    @Test func aMissingExecutableThrows() async throws {
        let error = await #expect(throws: EnvError.self) {
            try await ChildProcess.run(executable: "/nonexistent/program", arguments: [], environment: [],
                                       limits: ProcessLimits(wallClockSeconds: 5))
        }
        #expect(error?.code == .internal)
        #expect(error?.message.contains("/nonexistent/program") == true)
    }
}
