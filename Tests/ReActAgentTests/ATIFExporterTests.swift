import Foundation
import SQLite
import Testing
import Wire

@testable import ReActAgent

/// The ATIF mapping of stored runs, on runs written straight into a temporary database.
@Suite("ATIF export")
struct ATIFExporterTests {
    /// A database with one finished LLM run of three turns: request_info, a turn whose reply never
    /// parsed (no action), and execute_code that scored.
    private func storedRun() throws -> (store: TrajectoryStore, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "atif-\(UUID().uuidString)")
        let path = folder.appending(path: "agent.sqlite").path
        let store = try TrajectoryStore(path: path)
        let db = try SQLiteDatabase(path: path)
        let system: JSONValue = [["role": "system", "content": "You are an ML engineer."], ["role": "user", "content": "Task: penguins"]]
        let report: JSONValue = [
            "verdict_detail": ["status": "solvable", "reasons": ["beat the random submission"]],
            "final": ["total_reward": 0.75, "best_raw_score": 0.98],
        ]
        _ = try db.run("""
            INSERT INTO agent_runs (run_id, task, policy, model, server, started_at, finished_at, status, verdict, end_reason,
                session, metric, higher_is_better, best_score, random_score, random_source, normalized_score, steps_used, max_steps,
                prompt_tokens, completion_tokens, cost_usd, duration_s, settings, report)
            VALUES ('run_1', 'penguins-species', 'llm', 'gpt-4o-mini', 'tcp://127.0.0.1:5555', '2026-11-22T22:37:33.120Z',
                '2026-11-22T22:37:40.000Z', 'done', 'solvable', 'step_budget', 'sess_9', 'macro_f1', 1, 0.98, 0.36, 'measured',
                0.97, 2, 10, 3000, 210, 0.0021, 6.9, '{"max_steps": 10}', ?)
            """, [.text(report.encodedString())])
        let turns: [[SQLiteValue]] = [
            [1, .text(system.encodedString()), "Task: penguins", "Reasoning: look.\n```json\n{}\n```", "look", "[]",
             "request_info", #"{"info_type": "overview"}"#, #"{"reward": 0, "done": false}"#, "Overview: …", .null, 0.0, .null,
             1000, 70, 0.0007],
            [2, "[]", "Overview: …", "I think.", .null, #"[{"reply": "I think", "problem": "no ```json", "repair_prompt": "again"}]"#,
             .null, .null, .null, .null, "unparseable reply", .null, .null, 1000, 70, 0.0007],
            [3, "[]", "Repair: again", "```json\n{\"action\": \"execute_code\"}\n```", .null, "[]", "execute_code",
             #"{"code": "print(1)"}"#, #"{"reward": 0.75, "score": 0.98}"#, "Score 0.98", .null, 0.75, 0.98, 1000, 70, 0.0007],
        ]
        for row in turns {
            _ = try db.run("""
                INSERT INTO agent_turns (run_id, turn, started_at, prompt, user_message, reply, reasoning, repairs, action, params,
                    observation, observation_text, error, reward, score, prompt_tokens, completion_tokens, cost_usd, model_s, env_s,
                    retries)
                VALUES ('run_1', ?, '2026-11-22T22:37:34.000Z', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0.5, 1.5, '["HTTP 429"]')
                """, row)
        }
        return (store, folder)
    }

    @Test func aStoredRunMapsOntoATIFSteps() async throws {
        let (store, folder) = try storedRun()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = try await ATIFExporter.lines(from: store)
        #expect(lines.count == 1)
        let doc = try JSONValue.decode(Data(lines[0].utf8))
        #expect(doc["schema_version"] == "ATIF-v1.7" && doc["session_id"] == "run_1")
        #expect(doc["agent"]?["name"] == "mledojo-react-agent" && doc["agent"]?["model_name"] == "gpt-4o-mini")
        #expect(doc["agent"]?["extra"]?["policy"] == "llm")
        #expect(doc["extra"]?["task"] == "penguins-species")

        let steps = doc["steps"]?.arrayValue ?? []
        // system + (user, agent) per turn, ids 1...n.
        #expect(steps.count == 7)
        #expect(steps.enumerated().allSatisfy { $0.element["step_id"]?.integerValue == $0.offset + 1 })
        #expect(steps.map { $0["source"]?.stringValue ?? "" } == ["system", "user", "agent", "user", "agent", "user", "agent"])
        #expect(steps[0]["message"] == "You are an ML engineer.")

        let first = steps[2]
        #expect(first["tool_calls"]?.arrayValue?.first?["function_name"] == "request_info")
        #expect(first["tool_calls"]?.arrayValue?.first?["arguments"]?["info_type"] == "overview")
        #expect(first["observation"]?["results"]?.arrayValue?.first?["source_call_id"] == first["tool_calls"]?.arrayValue?.first?["tool_call_id"])
        #expect(first["observation"]?["results"]?.arrayValue?.first?["content"] == "Overview: …")
        #expect(first["reasoning_content"] == "look" && first["llm_call_count"] == 1)
        #expect(first["metrics"]?["prompt_tokens"] == 1000 && first["metrics"]?["cost_usd"] == 0.0007)

        // The turn that never parsed: no tool call, no observation, its error and repair kept.
        let broken = steps[4]
        #expect(broken["tool_calls"] == nil && broken["observation"] == nil)
        #expect(broken["extra"]?["error"] == "unparseable reply" && broken["llm_call_count"] == 2)

        let scored = steps[6]
        #expect(scored["extra"]?["reward"] == 0.75 && scored["extra"]?["score"] == 0.98)
        #expect(scored["observation"]?["results"]?.arrayValue?.first?["extra"]?["observation"]?["score"] == 0.98)

        let rewards = steps.compactMap { $0["extra"]?["reward"]?.numberValue }
        let metrics = doc["final_metrics"]
        #expect(rewards.count == 3 && rewards.reduce(0, +) == 0.75)
        #expect(metrics?["total_steps"] == 7 && metrics?["total_prompt_tokens"] == 3000 && metrics?["total_cost_usd"] == 0.0021)
        #expect(metrics?["extra"]?["verdict"] == "solvable" && metrics?["extra"]?["total_reward"] == 0.75)
        #expect(metrics?["extra"]?["server_total_reward"] == 0.75 && metrics?["extra"]?["turns"] == 3)
        #expect(metrics?["extra"]?["reasons"] == ["beat the random submission"])
    }

    @Test func aDeterministicPolicyHasNoLLMMetrics() async throws {
        let (store, folder) = try storedRun()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try SQLiteDatabase(path: store.path)
        _ = try db.run("UPDATE agent_runs SET policy = 'baseline', model = NULL")
        let doc = try JSONValue.decode(Data(try await ATIFExporter.lines(from: store)[0].utf8))
        let agents = (doc["steps"]?.arrayValue ?? []).filter { $0["source"] == "agent" }
        #expect(agents.count == 3)
        #expect(agents.allSatisfy { $0["llm_call_count"] == 0 && $0["metrics"] == nil && $0["reasoning_content"] == nil })
        #expect(doc["agent"]?["model_name"] == nil)
    }
}
