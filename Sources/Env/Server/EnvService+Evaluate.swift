import Foundation

/// A graded submission: the structured record, a feedback line, the scores when valid, the trusted copy.
struct GradedSubmission {
    var record: JSONValue
    var summary: String
    var score: SubmissionScore?
    var copy: URL?
    /// The file was there but refused (status FAILED, not NOT_FOUND): the session's invalid penalty applies.
    var rejected = false
}

extension EnvService {
    static let maxSubmissionTextBytes = 64 * 1024 * 1024

    /// `evaluate {submission: CSV text}` or `{path: file in the workspace}`: grades without running code.
    func evaluate(_ request: Request) async throws -> EncodedReply {
        let text = try request.optionalString("submission")
        let path = try request.optionalString("path")
        guard (text == nil) != (path == nil) else {
            throw EnvError(.badRequest, "evaluate needs exactly one of 'submission' (CSV text) or 'path' (a file in the workspace)")
        }
        if let text, text.utf8.count > Self.maxSubmissionTextBytes {
            throw EnvError(.badRequest, "'submission' is \(text.utf8.count) bytes; the limit is \(Self.maxSubmissionTextBytes)")
        }
        // A path is checked before the step begins: a refused path spends no step.
        let resolved: URL? = if let path {
            try SubmissionFile.resolve(path, in: try await sessions.snapshot(try request.requireSession()).workspace)
        } else { nil }
        return try await performStep(request) { [self] context in
            let source: URL
            if let resolved {
                source = resolved
            } else {
                try FileManager.default.createDirectory(at: context.artifacts, withIntermediateDirectories: true)
                source = context.artifacts.appending(path: "submitted.csv")
                try Data((text ?? "").utf8).write(to: source)
            }
            let graded = try await gradeSubmission(at: source, context: context)
            return StepOutcome(success: graded.score != nil, feedback: graded.summary, result: ["submission": graded.record],
                               score: graded.score, rejected: graded.rejected, artifacts: ["submission": graded.copy.map { .string(relative($0)) } ?? .null])
        }
    }

    /// Copies the submission out of the workspace and scores it with the task's metric on the trusted side.
    func gradeSubmission(at file: URL, context: StepContext) async throws -> GradedSubmission {
        let split = context.state.scoreSplit
        let copy = context.artifacts.appending(path: "submission.csv")
        if let refusal = SubmissionFile.copy(file, to: copy) {
            let status = refusal.errorType == "SubmissionNotFoundError" ? "NOT_FOUND" : "FAILED"
            return failed(refusal.errorType, refusal.message, split: split, copy: nil, status: status)
        }
        let report: GradeReport
        do {
            report = try await grader(for: context.task).grade(task: context.task, submission: copy, scoring: true)
        } catch let error as GraderError {
            return failed(error.errorType, error.message, split: split, copy: copy)
        }
        guard report.valid else {
            return failed(report.errorType ?? "InvalidSubmissionError", report.error ?? "invalid", split: split, copy: copy)
        }
        let calculator = ScoreCalculator(task: context.task)
        guard let score = calculator.score(report, split: split) else {
            return failed("EvaluationError", "the metric returned a value that is not a finite number", split: split, copy: copy)
        }
        let medal = calculator.medal(score.raw)
        let record: JSONValue = [
            "status": "SUCCESS", "split": .string(split.rawValue), "raw_score": .number(score.raw),
            "position_score": .number(score.positionOrNormalized), "normalized_score": .number(score.normalized),
            "medal": .string(medal?.rawValue), "error_type": .null, "error": .null,
        ]
        var summary = "Submission graded: \(context.task.metricName) = \(score.raw) on the \(split.rawValue) split"
        if let position = score.position { summary += ", position score \(position)" }
        if let normalized = score.normalized { summary += ", normalized score \(normalized)" }
        if let medal { summary += ", medal: \(medal.rawValue)" }
        return GradedSubmission(record: record, summary: summary + ".", score: score, copy: copy)
    }

    /// validate_code's check: is the submission's format valid? Nothing is scored.
    func validateSubmission(at file: URL, context: StepContext) async throws -> GradedSubmission {
        let copy = context.artifacts.appending(path: "submission.csv")
        if let refusal = SubmissionFile.copy(file, to: copy) {
            return failed(refusal.errorType, refusal.message, split: context.state.scoreSplit, copy: nil, status: "FAILED")
        }
        do {
            let report = try await grader(for: context.task).grade(task: context.task, submission: copy, scoring: false)
            guard report.valid else {
                return failed(report.errorType ?? "InvalidSubmissionError", report.error ?? "invalid",
                              split: context.state.scoreSplit, copy: copy, status: "FAILED")
            }
        } catch let error as GraderError {
            return failed(error.errorType, error.message, split: context.state.scoreSplit, copy: copy, status: "FAILED")
        }
        let record: JSONValue = [
            "status": "SUCCESS", "split": .string(context.state.scoreSplit.rawValue), "raw_score": .null,
            "position_score": .null, "normalized_score": .null, "medal": .null, "error_type": .null, "error": .null,
        ]
        return GradedSubmission(record: record, summary: "Submission format is valid (validate_code does not score; the file was removed).",
                                score: nil, copy: copy)
    }

    private func failed(_ errorType: String, _ message: String, split: ScoreSplit, copy: URL?, status: String = "FAILED") -> GradedSubmission {
        let record: JSONValue = [
            "status": .string(status), "split": .string(split.rawValue), "raw_score": .null, "position_score": .null,
            "normalized_score": .null, "medal": .null, "error_type": .string(errorType), "error": .string(message),
        ]
        return GradedSubmission(record: record, summary: "Submission not accepted: \(errorType): \(message)",
                                score: nil, copy: copy, rejected: status == "FAILED")
    }
}
