import Env
import EnvTesting
import Foundation

@testable import ReActAgent

/// A validation agent against a real server, with its trajectory database in a temporary folder.
struct AgentHarness {
    let server: LocalServer
    let env: EnvClient
    let store: TrajectoryStore
    let folder: TemporaryDirectory

    static let apiKey = "sk-test-SECRET-key-0042"
    static let fastRetry = RetryPolicy(maxAttempts: 3, initialDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.2)

    /// Runs `body` with a fresh server, client and database; everything is stopped and removed after.
    static func with<T: Sendable>(tasks: URL = RepositoryPaths.tasks, _ body: (AgentHarness) async throws -> T) async throws -> T {
        let folder = try TemporaryDirectory("mledojo-agent-test")
        defer { folder.remove() }
        return try await TestServer.with(tasks: tasks) { server in
            let env = try EnvClient(endpoint: server.endpoint)
            defer { env.close() }
            let store = try TrajectoryStore(path: folder.url.appending(path: "agent.sqlite").path)
            return try await body(AgentHarness(server: server, env: env, store: store, folder: folder))
        }
    }

    /// One run of the LLM policy against `baseURL`.
    func runLLM(task: String = "penguins-species", baseURL: String, limits: EpisodeLimits = EpisodeLimits(maxSteps: 10, timeLimitSeconds: 300, execTimeoutSeconds: 120),
                requestTimeout: Double = 1.5) async throws -> RunReport {
        let endpoint = ChatEndpoint(baseURL: baseURL, model: "gpt-4o-mini", apiKey: APIKey(Self.apiKey), requestTimeoutSeconds: requestTimeout,
                                    retry: Self.fastRetry)
        let settings = AgentSettings(task: task, policy: .llm(endpoint), limits: limits, serverDescription: server.endpoint)
        return try await ValidationAgent(env: env, settings: settings, store: store, resources: try AgentResources.locate()).run()
    }

    /// One run of the baseline policy.
    func runBaseline(task: String, limits: EpisodeLimits = EpisodeLimits(maxSteps: 10, timeLimitSeconds: 900, execTimeoutSeconds: 300)) async throws -> RunReport {
        let settings = AgentSettings(task: task, policy: .baseline, limits: limits, serverDescription: server.endpoint)
        return try await ValidationAgent(env: env, settings: settings, store: store, resources: try AgentResources.locate()).run()
    }

    /// The server still answers (no fault may take it down).
    func serverIsHealthy() async -> Bool {
        (try? await env.health())?["status"] == "ok"
    }

    /// Every byte the database files hold, as text (the WAL included).
    func databaseBytes() throws -> String {
        let files = try FileManager.default.contentsOfDirectory(at: folder.url, includingPropertiesForKeys: nil)
        return try files.filter { $0.lastPathComponent.hasPrefix("agent.sqlite") }
            .map { String(decoding: try Data(contentsOf: $0), as: UTF8.self) }.joined()
    }
}

/// A small, correct solution for penguins-species, as a scripted model would write it.
let penguinsSolution = """
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    train = pd.read_csv('/data/train.csv')
    test = pd.read_csv('/data/test.csv')
    features = ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex']
    X = pd.get_dummies(train[features].fillna(-1).astype({'island': str, 'sex': str}))
    Xt = pd.get_dummies(test[features].fillna(-1).astype({'island': str, 'sex': str})).reindex(columns=X.columns, fill_value=0)
    model = RandomForestClassifier(n_estimators=200, random_state=0).fit(X, train['species'])
    pd.DataFrame({'id': test['id'], 'species': model.predict(Xt)}).to_csv('submission.csv', index=False)
    print('cv score: n/a; wrote', len(test), 'rows')
    """
