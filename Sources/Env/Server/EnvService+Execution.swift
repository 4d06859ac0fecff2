import Foundation

extension EnvService {
    static let maxCodeBytes = 1024 * 1024

    /// `validate_code` (grading false) and `execute_code` (grading true): a syntax check, then a run
    /// on the session's warm sandboxed worker.
    func runCode(_ request: Request, grading: Bool) async throws -> EncodedReply {
        let code = try request.string("code")
        guard code.utf8.count <= Self.maxCodeBytes else {
            throw EnvError(.badRequest, "'code' is \(code.utf8.count) bytes; the limit is \(Self.maxCodeBytes) bytes")
        }
        return try await performStep(request) { [self] context in
            try await run(code, grading: grading, context: context)
        }
    }

    private func run(_ code: String, grading: Bool, context: StepContext) async throws -> StepOutcome {
        // Cancellable from the first moment: `cancel` may arrive before the run reaches the sandbox.
        let cancellation = try RunCancellation()
        await sessions.attach(context.state.sessionID, run: cancellation)
        try FileManager.default.createDirectory(at: context.artifacts, withIntermediateDirectories: true)
        let codeFile = context.artifacts.appending(path: "main.py")
        try Data(code.utf8).write(to: codeFile)
        var artifacts: [String: JSONValue] = ["code": .string(relative(codeFile))]

        if let syntaxError = try await grader.syntaxError(in: code) {
            let execution: JSONValue = [
                "status": "SYNTAX_ERROR", "stdout": "", "stderr": .string(syntaxError), "exit_code": .null,
                "duration_s": 0, "truncated": false, "error_type": "CodeSyntaxError",
            ]
            return StepOutcome(success: false, feedback: "CodeSyntaxError: \(syntaxError)", result: ["execution": execution],
                               artifacts: .object(artifacts))
        }

        let folders = folders(of: context)
        let submissionFile = context.workspace.appending(path: "submission.csv")
        let before = SubmissionFile.fingerprint(submissionFile)
        let record = try await supervisedRun(context, folders: folders, cancellation: cancellation)
        artifacts["stdout"] = .string(relative(context.artifacts.appending(path: "stdout.log")))
        artifacts["stderr"] = .string(relative(context.artifacts.appending(path: "stderr.log")))

        let execution = Self.executionRecord(record)
        var result: [String: JSONValue] = ["execution": execution.record]
        var feedback = [execution.summary]
        if !record.stdout.text.isEmpty { feedback.append("--- stdout ---\n" + record.stdout.text) }
        if !record.stderr.text.isEmpty { feedback.append("--- stderr ---\n" + record.stderr.text) }

        let written = SubmissionFile.fingerprint(submissionFile).map { $0 != before } ?? false
        let workspacePath = sandbox.agentWorkspacePath(context.workspace)
        var score: SubmissionScore?
        var rejected = false
        var success = record.status == "SUCCESS"
        if grading {
            if written {
                let graded = try await gradeSubmission(at: submissionFile, context: context)
                result["submission"] = graded.record
                feedback.append(graded.summary)
                score = graded.score
                rejected = graded.rejected
                artifacts["submission"] = graded.copy.map { .string(relative($0)) } ?? .null
                success = success && graded.score != nil
            } else {
                result["submission"] = [
                    "status": "NOT_FOUND", "split": .string(context.state.scoreSplit.rawValue),
                    "raw_score": .null, "position_score": .null, "normalized_score": .null, "medal": .null,
                    "error_type": "SubmissionNotFoundError",
                    "error": .string("this run did not write \(workspacePath)/submission.csv"),
                ]
                feedback.append("No submission: this run did not write \(workspacePath)/submission.csv.")
            }
        } else if written {
            // validate_code: check the submission's format, never score it, and remove it (as MLE-Dojo).
            let checked = try await validateSubmission(at: submissionFile, context: context)
            result["submission"] = checked.record
            feedback.append(checked.summary)
            try? FileManager.default.removeItem(at: submissionFile)
        }
        return StepOutcome(success: success, feedback: feedback.joined(separator: "\n"), result: result, score: score,
                           rejected: rejected, artifacts: .object(artifacts))
    }

    /// Takes a run slot (BUSY when the server is full), then runs on the session's worker under watch.
    private func supervisedRun(_ context: StepContext, folders: SessionFolders, cancellation: RunCancellation) async throws -> RunRecord {
        let sessionID = context.state.sessionID
        try await scheduler.acquire()
        do {
            let state = context.state
            let worker = try await workers.worker(for: sessionID, folders: folders, uid: state.sandboxUID, limits: state.limits)
            let supervisor = RunSupervisor(
                worker: worker, folders: folders, agentPaths: sandbox.agentPaths(folders), limits: state.limits,
                wallClock: max(1, min(state.budget.execTimeoutSeconds, state.timeLeft(at: Date()))),
                persistent: state.persistentKernel, cancellation: cancellation,
                limitsAddressSpace: sandbox.limitsAddressSpace)
            let record = await supervisor.run(sequence: context.sequence, artifacts: context.artifacts)
            await workers.touch(sessionID)
            await scheduler.release()
            return record
        } catch {
            await scheduler.release()
            throw error
        }
    }

    /// The host folders of a session (created at reset).
    func folders(of context: StepContext) -> SessionFolders {
        sessionFolders(context.state.sessionID, task: context.task)
    }

    func sessionFolders(_ sessionID: String, task: CompetitionTask) -> SessionFolders {
        let root = configuration.runsDirectory.appending(path: sessionID)
        return SessionFolders(workspace: root.appending(path: "workspace"), publicData: task.publicDataDirectory,
                              steps: root.appending(path: "steps"), logs: root.appending(path: "logs"))
    }

    static func executionRecord(_ record: RunRecord) -> (record: JSONValue, summary: String) {
        let duration = (record.durationSeconds * 1000).rounded() / 1000
        let json: JSONValue = [
            "status": .string(record.status), "stdout": .string(record.stdout.text), "stderr": .string(record.stderr.text),
            "exit_code": record.exitCode.map { .number(Double($0)) } ?? .null,
            "signal": record.signal.map { .number(Double($0)) } ?? .null,
            "duration_s": .number(duration), "truncated": .bool(record.stdout.truncated || record.stderr.truncated),
            "stdout_bytes": .number(Double(record.stdout.totalBytes)), "stderr_bytes": .number(Double(record.stderr.totalBytes)),
            "cpu_s": .number(record.cpuSeconds), "max_rss_kb": .number(record.maxResidentKilobytes.map(Double.init)),
            "error_type": .string(record.errorType),
        ]
        var summary: String
        switch record.status {
        case "SUCCESS": summary = "Code execution SUCCESS in \(duration) s."
        case "TIMEOUT": summary = "Code execution TIMEOUT: stopped after \(duration) s (the run's wall-clock limit)."
        case "CANCELLED": summary = "Code execution CANCELLED after \(duration) s."
        case "FAILED":
            let how = record.exitCode.map { "exit \($0)" } ?? record.signal.map { "signal \($0)" } ?? "no exit status"
            summary = "Code execution FAILED (\(how)) in \(duration) s."
        default: summary = "Code execution stopped: \(record.status) (\(record.errorType ?? "limit")) after \(duration) s."
        }
        if let note = record.note { summary += " " + note }
        return (json, summary)
    }

    /// A path relative to the runs folder, as stored in the step's artifacts.
    func relative(_ file: URL) -> String {
        let root = configuration.runsDirectory.standardizedFileURL.path + "/"
        let path = file.standardizedFileURL.path
        return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }
}
