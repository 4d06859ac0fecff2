import Evaluation
import ReActAgent
import Testing

@Suite("ModelSpec")
struct ModelSpecTests {
    @Test func theThreeKindsOfPlayer() throws {
        #expect(try ModelSpec.parse("base=baseline") == ModelSpec(name: "base", player: .baseline))
        #expect(try ModelSpec.parse("floor=sample") == ModelSpec(name: "floor", player: .sample))
        let spec = try ModelSpec.parse("gpt=http://127.0.0.1:8000/v1,model=gpt-4o-mini,key_env=OPENAI_API_KEY,format=tools,tool_choice=auto")
        #expect(spec.name == "gpt")
        #expect(spec.player == .endpoint(.init(baseURL: "http://127.0.0.1:8000/v1", model: "gpt-4o-mini", keyEnv: "OPENAI_API_KEY",
                                               format: .tools, toolChoice: "auto")))
        #expect(spec.modelID == "gpt-4o-mini")
    }

    @Test func anEndpointsModelDefaultsToTheName() throws {
        let spec = try ModelSpec.parse("qwen2.5-7b=https://api.example.com/v1")
        #expect(spec.player == .endpoint(.init(baseURL: "https://api.example.com/v1", model: "qwen2.5-7b")))
        guard case .llm(let endpoint) = try spec.policy() else { Issue.record("not an LLM policy"); return }
        #expect(endpoint.model == "qwen2.5-7b" && endpoint.actionFormat == .fenced && endpoint.apiKey == nil)
    }

    @Test(arguments: [
        ("baseline", ModelSpecError.missingEquals("baseline")),
        ("=baseline", .emptyName("=baseline")),
        ("a/b=baseline", .badName("a/b")),
        ("m=", .emptyTarget(name: "m")),
        ("m=ftp://host/v1", .badURL(name: "m", url: "ftp://host/v1")),
        ("m=http://", .badURL(name: "m", url: "http://")),
        ("m=localhost:8000", .badURL(name: "m", url: "localhost:8000")),
        ("m=http://h/v1,temperature=0", .unknownKey(name: "m", key: "temperature")),
        ("m=http://h/v1,model", .malformedOption(name: "m", option: "model")),
        ("m=http://h/v1,format=xml", .badValue(name: "m", key: "format", value: "xml", expected: "tools, json or fenced")),
        ("m=http://h/v1,tool_choice=maybe", .badValue(name: "m", key: "tool_choice", value: "maybe", expected: "required, auto or function:NAME")),
        ("m=baseline,model=x", .optionsWithoutEndpoint(name: "m", player: "baseline")),
    ])
    func badSpecsAreRefusedWithTheirReason(text: String, expected: ModelSpecError) {
        #expect(throws: expected) { try ModelSpec.parse(text) }
    }

    @Test func namesMustBeDistinct() {
        #expect(throws: ModelSpecError.duplicateName("a")) { try ModelSpec.parseAll(["a=baseline", "b=sample", "a=sample"]) }
        #expect((try? ModelSpec.parseAll(["a=baseline", "b=sample"]))?.map(\.name) == ["a", "b"])
    }

    @Test func anUnsetKeyVariableFailsWhenThePolicyIsBuilt() throws {
        let spec = try ModelSpec.parse("m=http://h/v1,key_env=MLEDOJO_TEST_SURELY_UNSET_KEY")
        #expect(throws: (any Error).self) { try spec.policy() }
        #expect(ModelSpecError.unknownKey(name: "m", key: "x").description.contains("model, key_env, format, tool_choice"))
    }
}
