import Wire

/// The policy that asks a model through an OpenAI-compatible endpoint, in the endpoint's action format
/// (fenced block, JSON mode or tool calls). A reply that does not parse gets up to `maxRepairs` repair
/// prompts (MLE-Dojo's rule is 3) before the episode ends.
public final class LLMPolicy: AgentPolicy {
    public let name = "llm"
    public var model: String? { client.endpoint.model }
    public var actionFormat: ActionFormat { client.endpoint.actionFormat }
    let client: OpenAIChatClient
    let prompts: PromptLibrary
    let prices: PriceTable
    let maxRepairs: Int

    public init(client: OpenAIChatClient, prompts: PromptLibrary, prices: PriceTable, maxRepairs: Int = 3) {
        self.client = client
        self.prompts = prompts
        self.prices = prices
        self.maxRepairs = max(0, maxRepairs)
    }

    public func decide(_ context: DecisionContext) async -> PolicyDecision {
        var messages = context.messages
        var decision = PolicyDecision(outcome: .failure(.unparseable("no reply")), reply: "")
        let format = actionFormat
        let schema = client.endpoint.sendsActionSchema ? Optional(prompts.actionSchema) : Optional<JSONValue>.none
        let constraint = format.constraint(tools: prompts.actionTools, choice: client.endpoint.toolChoice, schema: schema)
        for attempt in 0...maxRepairs {
            let promptTokens = ConversationWindow.estimate(messages)
            var replyLimit: Int?
            if let left = context.remaining.tokensLeft.map({ $0 - decision.usage.totalTokens }) {
                guard left - promptTokens >= 16 else { return finish(decision, .failure(.tokenBudget)) }
                replyLimit = left - promptTokens
            }
            let completion: ChatCompletion
            do {
                completion = try await client.complete(messages, maxTokens: replyLimit, deadline: context.deadline, constraint: constraint)
            } catch {
                switch error {
                case .deadlineReached: return finish(decision, .failure(.deadline))
                default: return finish(decision, .failure(.model(error.description)))
                }
            }
            decision.usage += completion.usage
            decision.modelSeconds += completion.seconds
            decision.retries += completion.retries
            let raw = ActionFormat.rawReply(completion)
            decision.reply = raw
            do {
                let (parsed, reply) = try format.read(completion)
                decision.reply = reply
                return finish(decision, .action(parsed.action, reasoning: parsed.reasoning))
            } catch {
                guard attempt < maxRepairs else { return finish(decision, .failure(.unparseable(error.problem))) }
                let repair = (try? prompts.repairPrompt(problem: error.problem, attempt: attempt + 1, maxAttempts: maxRepairs, format: format))
                    ?? "Your last reply could not be used: \(error.problem)"
                decision.repairs.append(RepairExchange(reply: raw, problem: error.problem, repairPrompt: repair))
                messages += [.assistant(raw), .user(repair)]
            }
        }
        return decision
    }

    private func finish(_ decision: PolicyDecision, _ outcome: PolicyDecision.Outcome) -> PolicyDecision {
        var decision = decision
        decision.outcome = outcome
        decision.costUSD = prices.cost(of: decision.usage, model: client.endpoint.model).usd
        return decision
    }
}
