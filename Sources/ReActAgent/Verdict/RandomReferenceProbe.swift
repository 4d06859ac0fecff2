import Wire

/// Measures the random reference in a probe session of its own (two steps: the metric info, then a
/// run that copies sample_submission.csv to submission.csv), so the policy's budget is untouched.
/// Without `gradesSample` it only reads the reference scores.
public enum RandomReferenceProbe {
    public static func measure(env: EnvClient, task: String, scripts: SolutionScripts, gradesSample: Bool = true) async -> RandomReference {
        var reference = RandomReference()
        let session: String
        do {
            session = try await env.reset(task: task, budget: Budget(maxSteps: 2, timeLimitSeconds: 600, execTimeoutSeconds: 120)).session
        } catch {
            reference.problem = "probe reset failed: \(error)"
            return reference
        }
        do {
            let metric = try await env.step(session: session, action: .requestInfo, params: ["info_type": "metric"], execTimeoutSeconds: 120)
            if let content = metric.infoContent {
                reference.metric = content["name"]?.stringValue
                reference.higherIsBetter = content["higher_is_better"]?.boolValue
                reference.reference = content["reference_scores"]?["random"]?.numberValue
                reference.bestKnown = content["reference_scores"]?["best_known"]?.numberValue
            }
            guard gradesSample else {
                _ = try? await env.close(session: session)
                return reference
            }
            let code = try scripts.randomReferenceScript()
            let run = try await env.step(session: session, action: .executeCode, params: ["code": .string(code)], execTimeoutSeconds: 120)
            if let score = run.submissionScore {
                reference.measured = score
            } else {
                let detail = run.submission?["error"]?.stringValue ?? run.execution?["stderr"]?.stringValue ?? run.feedback
                reference.problem = "the sample submission was not graded: \(TextCutter.cut(detail, limit: 300))"
            }
        } catch {
            reference.problem = "probe failed: \(error)"
        }
        _ = try? await env.close(session: session)
        return reference
    }
}
