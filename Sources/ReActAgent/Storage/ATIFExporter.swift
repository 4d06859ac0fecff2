import Foundation
import SQLite
import Wire

/// Writes stored runs in Harbor's Agent Trajectory Interchange Format (ATIF, version 1.7; spec:
/// harbor-framework/harbor `rfcs/0001-trajectory-format.md`, formerly laude-institute/harbor
/// `docs/rfcs/0001-trajectory-format.md`), one complete trajectory document per line. Our schema of
/// what is emitted: protocol/schemas/trajectory.atif.json; the mapping: protocol/agent.md §6.
///
/// Steps: the system prompt (source "system"), then for every stored turn the prompt the model read
/// (source "user") and the agent's turn (source "agent": the reply, the action as one tool call with
/// its params, the server's observation, the LLM metrics). What ATIF has no field for (the reward,
/// the score, repairs, retries, the verdict) goes in the `extra` objects the spec provides.
public enum ATIFExporter {
    public static let schemaVersion = "ATIF-v1.7"
    /// Names our use of the `extra` objects, so a reader can tell which keys to expect there.
    public static let extraSchema = "mledojo.trajectory.atif.v1"
    public static let agentName = "mledojo-react-agent"
    public static let agentVersion = "1"

    /// One line per finished run (all runs, or those of `task`).
    public static func lines(from store: TrajectoryStore, task: String? = nil) async throws(AgentError) -> [String] {
        try await RunExport.lines(from: store, task: task) { trajectory(run: $0, turns: $1) }
    }

    /// The ATIF trajectory of one run. Every stored turn becomes one user step and one agent step;
    /// a turn without a parsed action (a reply that never parsed, a model failure) is an agent step
    /// without `tool_calls`, its error in `extra.error`.
    static func trajectory(run: [String: SQLiteValue], turns: [[String: SQLiteValue]]) -> JSONValue {
        let report = decoded(run["report"]?.text) ?? [:]
        let usesModel = run["policy"]?.text == "llm"
        let model = run["model"]?.text
        var steps: [JSONValue] = []

        func nextID() -> JSONValue { .number(Double(steps.count + 1)) }

        if let first = turns.first, let system = decoded(first["prompt"]?.text)?.arrayValue?.first,
           system["role"]?.stringValue == "system" {
            var step: [String: JSONValue] = ["step_id": nextID(), "source": "system", "message": system["content"] ?? ""]
            if let at = first["started_at"]?.text { step["timestamp"] = .string(at) }
            steps.append(.object(step))
        }

        var rewardSum = 0.0
        var agentSteps = 0
        for turn in turns {
            let number = Double(turn["turn"]?.integer ?? Int64(agentSteps + 1))
            let timestamp = turn["started_at"]?.text
            var user: [String: JSONValue] = ["step_id": nextID(), "source": "user",
                                             "message": .string(turn["user_message"]?.text ?? "")]
            if let timestamp { user["timestamp"] = .string(timestamp) }
            user["extra"] = ["turn": .number(number)]
            steps.append(.object(user))

            let reward = turn["reward"]?.real ?? 0
            rewardSum += reward
            agentSteps += 1
            let repairs = decoded(turn["repairs"]?.text)?.arrayValue ?? []
            var agent: [String: JSONValue] = ["step_id": nextID(), "source": "agent",
                                              "message": .string(turn["reply"]?.text ?? "")]
            if let timestamp { agent["timestamp"] = .string(timestamp) }
            if let model { agent["model_name"] = .string(model) }
            if usesModel, let reasoning = turn["reasoning"]?.text, !reasoning.isEmpty {
                agent["reasoning_content"] = .string(reasoning)
            }
            let callID = "call_\(Int(number))"
            if let action = turn["action"]?.text {
                agent["tool_calls"] = [[
                    "tool_call_id": .string(callID), "function_name": .string(action),
                    "arguments": decoded(turn["params"]?.text).flatMap { $0.objectValue.map(JSONValue.object) } ?? [:],
                ]]
            }
            let observation = decoded(turn["observation"]?.text)
            if observation != nil || turn["observation_text"]?.text != nil {
                var result: [String: JSONValue] = [:]
                if turn["action"]?.text != nil { result["source_call_id"] = .string(callID) }
                if let text = turn["observation_text"]?.text { result["content"] = .string(text) }
                if let observation { result["extra"] = ["observation": observation] }
                agent["observation"] = ["results": [.object(result)]]
            }
            if usesModel {
                // One inference per reply, plus one per repair prompt the turn needed.
                agent["llm_call_count"] = .number(Double(1 + repairs.count))
                agent["metrics"] = [
                    "prompt_tokens": .number(Double(turn["prompt_tokens"]?.integer ?? 0)),
                    "completion_tokens": .number(Double(turn["completion_tokens"]?.integer ?? 0)),
                    "cost_usd": .number(turn["cost_usd"]?.real ?? 0),
                ]
            } else {
                // ATIF's deterministic dispatch: no LLM inference, so no `metrics`, no reasoning.
                agent["llm_call_count"] = 0
            }
            agent["extra"] = [
                "turn": .number(number),
                "reward": .number(reward),
                "score": .number(turn["score"]?.real),
                "error": .string(turn["error"]?.text),
                "repairs": .array(repairs),
                "retries": decoded(turn["retries"]?.text) ?? [],
                "model_seconds": .number(turn["model_s"]?.real ?? 0),
                "env_seconds": .number(turn["env_s"]?.real ?? 0),
            ]
            steps.append(.object(agent))
        }

        let final = report["final"] ?? .null
        let verdictDetail = report["verdict_detail"] ?? [:]
        var agentObject: [String: JSONValue] = [
            "name": .string(agentName), "version": .string(agentVersion),
            "extra": ["policy": .string(run["policy"]?.text ?? ""), "settings": decoded(run["settings"]?.text) ?? [:]],
        ]
        if let model { agentObject["model_name"] = .string(model) }
        let runID = run["run_id"]?.text ?? ""
        return [
            "schema_version": .string(schemaVersion),
            "session_id": .string(runID),
            "trajectory_id": .string(runID),
            "agent": .object(agentObject),
            "notes": .string("""
                Exported by mledojo agent export --format atif (\(extraSchema)). One user step and one agent step per \
                stored turn; the agent's action is its one tool call; the per-step reward and score are in \
                steps[].extra, the run's verdict and scores in final_metrics.extra. See protocol/agent.md section 6.
                """),
            "steps": .array(steps),
            "final_metrics": [
                "total_prompt_tokens": .number(Double(run["prompt_tokens"]?.integer ?? 0)),
                "total_completion_tokens": .number(Double(run["completion_tokens"]?.integer ?? 0)),
                "total_cost_usd": .number(run["cost_usd"]?.real ?? 0),
                "total_steps": .number(Double(steps.count)),
                "extra": [
                    "verdict": .string(run["verdict"]?.text ?? "error"),
                    "reasons": verdictDetail["reasons"] ?? [],
                    "end_reason": .string(run["end_reason"]?.text),
                    "metric": .string(run["metric"]?.text ?? "unknown"),
                    "higher_is_better": .bool((run["higher_is_better"]?.integer ?? 1) != 0),
                    "best_score": .number(run["best_score"]?.real),
                    "random_score": .number(run["random_score"]?.real),
                    "random_source": .string(run["random_source"]?.text),
                    "normalized_score": .number(run["normalized_score"]?.real),
                    "total_reward": .number(rewardSum),
                    "server_total_reward": final["total_reward"] ?? .null,
                    "final_grade": final,
                    "turns": .number(Double(agentSteps)),
                    "env_steps_used": .number(Double(run["steps_used"]?.integer ?? 0)),
                    "max_steps": .number(run["max_steps"]?.integer.map { Double($0) }),
                    "seconds": .number(run["duration_s"]?.real ?? 0),
                ],
            ],
            "extra": [
                "schema": .string(extraSchema),
                "run_id": .string(runID),
                "task": .string(run["task"]?.text ?? ""),
                "server": .string(run["server"]?.text),
                "env_session": .string(run["session"]?.text),
                "started_at": .string(run["started_at"]?.text ?? ""),
                "finished_at": .string(run["finished_at"]?.text),
            ],
        ]
    }

    private static func decoded(_ text: String?) -> JSONValue? {
        text.flatMap { try? JSONValue.decode(Data($0.utf8)) }
    }
}
