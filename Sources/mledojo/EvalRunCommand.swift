import ArgumentParser
import Env
import Evaluation
import Foundation
import ReActAgent
import Wire

/// `mledojo eval run`: every model on every task of a set, --runs times, into the results database.
struct EvalRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Play every model on every task --runs times with the ReAct agent and record the results (resumable).",
        discussion: """
            Models: NAME=BASEURL[,model=ID,key_env=VAR,format=tools|json|fenced,tool_choice=...] for an OpenAI-compatible \
            endpoint (model defaults to NAME; the API key is read from the variable key_env names, never stored), \
            NAME=baseline for the LLM-free baseline policy, NAME=sample for a player that submits the task's sample \
            submission as is (the random reference). Tasks: a comma list of task ids, source:X, modality:X, @file (one \
            item a line) or all, resolved against the server's list_tasks. \
            Each run is one episode (--max-steps steps, scores on every test row) recorded in --db (protocol/evaluation.md): \
            the row is `running` from its start, then `finished` with the best full-test score (NULL when the model graded \
            no submission), the task's reference scores, steps, tokens, cost, time and end reason, plus one eval_steps row \
            per step; or `failed` when the run itself broke (the server or the model endpoint failed). Finished runs are \
            never played again: run the same command again to resume and to replay failed or interrupted runs. \
            Prints a line per finished run and a status line (done / total · running · failed · ETA); with --json those go \
            to stderr and one JSON summary goes to stdout. Without --server an in-process server is started on tasks-dir. \
            Exit status: 0 when every run finished, 1 when some failed, 2 on bad input.
            """)

    @Option(parsing: .upToNextOption, help: "Models as NAME=SPEC (NAME=BASEURL[,key=value...], NAME=baseline, NAME=sample).")
    var models: [String] = []
    @Option(help: "Task set: task ids, source:X, modality:X, @file or all (comma list, unioned).")
    var tasks: String
    @Option(help: "Runs per model and task (the best counts in the statistics).")
    var runs = 2
    @Option(help: "Steps per episode.")
    var maxSteps = 15
    @Option(help: "Runs played at once.")
    var concurrency = 1
    @Option(help: "The results database (SQLite).")
    var db = "var/eval.sqlite"
    @Option(help: "Endpoint of a running server (tcp:// or ipc://). Default: start one in this process.")
    var server: String?
    @Option(help: "Folder of task folders (in-process server).")
    var tasksDir = "tasks"
    @Option(help: "Episode wall clock in seconds (model time included).")
    var timeLimit = 3600.0
    @Option(help: "Wall clock of one code run in seconds.")
    var execTimeout = 600.0
    @Option(help: "Tokens (prompt + completion) a model may use per episode.")
    var maxTokens = 300_000
    @Option(help: "A model's context window in tokens (older observations are shortened to fit).")
    var contextTokens = 32_000
    @Option(help: "Price table (JSON, per million tokens) instead of the bundled one.")
    var prices: String?
    @Flag(help: "Print one JSON summary on stdout (progress lines go to stderr).")
    var json = false
    @Option(help: "Python virtual environment (in-process server).")
    var venv = ".venv"
    @Option(help: "Folder holding the trusted `mledojo` Python package (in-process server).")
    var runtime = "python"

    func run() async throws {
        let toStandardError = json
        let say: @Sendable (String) -> Void = { line in
            if toStandardError { Console.error(line) } else { Console.line(line) }
        }
        let specs: [ModelSpec]
        let taskSet: TaskSet
        let limits = EpisodeLimits(maxSteps: maxSteps, timeLimitSeconds: timeLimit, execTimeoutSeconds: execTimeout, maxTokens: maxTokens,
                                   contextTokens: contextTokens)
        let table: PriceTable?
        let resources: AgentResources
        let store: EvalStore
        do {
            guard !models.isEmpty else { throw ValidationError("--models needs at least one NAME=SPEC") }
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
            specs = try ModelSpec.parseAll(models)
            taskSet = try TaskSet.parse(tasks)
            try limits.validate()
            table = try prices.map { path throws(PriceTableError) in try PriceTable.load(path: ProjectPaths.resolve(path).path) }
            resources = try AgentResources.locate()
            store = try EvalStore(path: ProjectPaths.resolve(db).path)
        } catch {
            Console.error("mledojo eval run: \(error)")
            throw ExitCode(2)
        }

        let server = try await ServerEndpoint.open(server: self.server, tasks: tasksDir, venv: venv, runtime: runtime,
                                                   command: "mledojo eval", say: say)
        let endpoint = server.endpoint
        let final: EvalProgress
        do {
            final = try await play(specs: specs, taskSet: taskSet, limits: limits, table: table, resources: resources, store: store,
                                   endpoint: endpoint, say: say)
        } catch let exit as ExitCode {
            await server.stop()
            throw exit
        } catch {
            await server.stop()
            Console.error("mledojo eval run: \(error)")
            throw ExitCode(2)
        }
        await server.stop()
        if json { Console.line(try await summary(final, store: store).encodedString()) }
        if final.failed > 0 { throw ExitCode(1) }
    }

    private func play(specs: [ModelSpec], taskSet: TaskSet, limits: EpisodeLimits, table: PriceTable?, resources: AgentResources,
                      store: EvalStore, endpoint: String, say: @escaping @Sendable (String) -> Void) async throws -> EvalProgress {
        let env = try EnvClient(endpoint: endpoint)
        defer { env.close() }
        let listings: [TaskListing]
        do {
            listings = try taskSet.resolve(try await env.listTasks()) { path in
                try String(contentsOf: ProjectPaths.resolve(path), encoding: .utf8)
            }
        } catch let error as TaskSetError {
            Console.error("mledojo eval run: \(error)")
            throw ExitCode(2)
        }
        let configuration = EvalRunner.Configuration(runs: runs, limits: limits, concurrency: concurrency,
                                                     serverDescription: server ?? "in-process \(endpoint)", prices: table)
        let concurrency = self.concurrency
        let runner: EvalRunner
        do {
            runner = try await EvalRunner(env: env, store: store, resources: resources, specs: specs, tasks: listings,
                                          configuration: configuration) { event, progress in
                guard let line = event.line else { return }
                say(line)
                say(progress.statusLine(concurrency: concurrency))
            }
        } catch {
            Console.error("mledojo eval run: \(error)")
            throw ExitCode(2)
        }
        let start = await runner.progress
        say("mledojo eval: \(specs.count) models × \(listings.count) tasks × \(runs) runs = \(start.total) runs; "
            + "\(start.skipped) finished before, \(start.pending) to play, \(concurrency) at once; results in \(store.path)")
        let final = await runner.run()
        say("mledojo eval: " + final.statusLine(concurrency: concurrency))
        return final
    }

    /// The JSON summary: counts and every planned run's row.
    private func summary(_ progress: EvalProgress, store: EvalStore) async throws -> JSONValue {
        var runs: [JSONValue] = []
        for key in progress.planned {
            let rows = try await store.query(
                "SELECT status, best_score, random_score, best_known, steps, seconds, end_reason, error FROM eval_runs WHERE run_key = ?",
                [.text(key.runKey)])
            let row = rows.first ?? [:]
            runs.append([
                "run_key": .string(key.runKey), "model": .string(key.model), "task": .string(key.task),
                "run_index": .number(Double(key.runIndex)), "status": .string(row["status"]?.text),
                "best_score": .number(row["best_score"]?.real), "random_score": .number(row["random_score"]?.real),
                "best_known": .number(row["best_known"]?.real), "steps": .number(row["steps"]?.integer.map(Double.init)),
                "seconds": .number(row["seconds"]?.real), "end_reason": .string(row["end_reason"]?.text),
                "error": .string(row["error"]?.text),
            ])
        }
        return [
            "db": .string(store.path), "total": .number(Double(progress.total)), "done": .number(Double(progress.done)),
            "skipped": .number(Double(progress.skipped)), "failed": .number(Double(progress.failed)), "runs": .array(runs),
        ]
    }
}
