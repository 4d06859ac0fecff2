/// Something that answers a chat-completions request: the OpenAI-compatible client over HTTP, or a
/// scripted model in tests. Agents depend on this, not on the transport.
public protocol ChatCompleting: Sendable {
    /// The endpoint's settings (model, prices, reply limits, tool choice).
    var endpoint: ChatEndpoint { get }

    /// One completion for `messages`, within `deadline`, held to `constraint`.
    func complete(_ messages: [ChatMessage], maxTokens: Int?, deadline: ContinuousClock.Instant?,
                  constraint: ReplyConstraint) async throws(LLMError) -> ChatCompletion
}
