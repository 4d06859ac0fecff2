import Foundation
import SQLite
import Wire

/// Writes stored runs as chat-format trajectories, one JSON object per line (schema:
/// protocol/schemas/trajectory.jsonl.json): the messages the model read and wrote, the reward of
/// each assistant turn, and the run's verdict — ready for SFT or RL.
public enum TrajectoryExporter {
    public static let schemaID = "mledojo.trajectory.v1"

    /// One line per finished run (all runs, or those of `task`).
    public static func lines(from store: TrajectoryStore, task: String? = nil) async throws(AgentError) -> [String] {
        try await RunExport.lines(from: store, task: task) { trajectory(run: $0, turns: $1) }
    }

    /// The trajectory object of one run. Turns without a parsed action (a reply that never parsed, a
    /// model failure) are left out of `messages`, so every assistant message is a valid action;
    /// `dropped_turns` counts them.
    static func trajectory(run: [String: SQLiteValue], turns: [[String: SQLiteValue]]) -> JSONValue {
        let report = run["report"]?.text.flatMap { try? JSONValue.decode(Data($0.utf8)) } ?? [:]
        var messages: [JSONValue] = []
        if let first = turns.first, let prompt = first["prompt"]?.text.flatMap({ try? JSONValue.decode(Data($0.utf8)) }),
           let system = prompt.arrayValue?.first, system["role"]?.stringValue == "system" {
            messages.append(["role": "system", "content": system["content"] ?? ""])
        }
        var rewards: [JSONValue] = []
        var actions: [JSONValue] = []
        var scores: [JSONValue] = []
        var dropped = 0
        for turn in turns {
            guard let action = turn["action"]?.text, let reply = turn["reply"]?.text, !reply.isEmpty else {
                dropped += 1
                continue
            }
            messages.append(["role": "user", "content": .string(turn["user_message"]?.text ?? "")])
            messages.append(["role": "assistant", "content": .string(reply)])
            rewards.append(.number(turn["reward"]?.real ?? 0))
            actions.append(.string(action))
            scores.append(.number(turn["score"]?.real))
        }
        let verdictDetail = report["verdict_detail"] ?? [:]
        return [
            "schema": .string(schemaID),
            "run_id": .string(run["run_id"]?.text ?? ""),
            "task": .string(run["task"]?.text ?? ""),
            "policy": .string(run["policy"]?.text ?? ""),
            "model": .string(run["model"]?.text),
            "verdict": .string(run["verdict"]?.text ?? "error"),
            "reasons": verdictDetail["reasons"] ?? [],
            "metric": .string(run["metric"]?.text ?? "unknown"),
            "higher_is_better": .bool((run["higher_is_better"]?.integer ?? 1) != 0),
            "best_score": .number(run["best_score"]?.real),
            "random_score": .number(run["random_score"]?.real),
            "normalized_score": .number(run["normalized_score"]?.real),
            "end_reason": .string(run["end_reason"]?.text),
            "steps": .number(Double(run["steps_used"]?.integer ?? 0)),
            "seconds": .number(run["duration_s"]?.real ?? 0),
            "tokens": ["prompt": .number(Double(run["prompt_tokens"]?.integer ?? 0)),
                       "completion": .number(Double(run["completion_tokens"]?.integer ?? 0))],
            "cost_usd": .number(run["cost_usd"]?.real ?? 0),
            "started_at": .string(run["started_at"]?.text ?? ""),
            "messages": .array(messages),
            "rewards": .array(rewards),
            "actions": .array(actions),
            "scores": .array(scores),
            "dropped_turns": .number(Double(dropped)),
        ]
    }
}

