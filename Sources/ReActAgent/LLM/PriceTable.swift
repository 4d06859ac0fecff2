import Foundation
import Wire

/// Per-model token prices (`Resources/prices.json`, or a file given with --prices) and the cost of a usage.
public struct PriceTable: Sendable {
    /// Price of one model, in the table's currency per million tokens.
    public struct ModelPrice: Sendable, Equatable {
        public var inputPerMillion: Double
        public var outputPerMillion: Double
    }

    /// What a usage cost, and whether the price was known.
    public struct Cost: Sendable, Equatable {
        public var usd: Double
        /// The table entry that priced it; nil when the model is not in the table (then `usd` is 0).
        public var pricedAs: String?
        public var known: Bool { pricedAs != nil }
    }

    public let prices: [String: ModelPrice]
    public let asOf: String?

    public init(prices: [String: ModelPrice], asOf: String? = nil) {
        self.prices = prices
        self.asOf = asOf
    }

    /// Reads a table: `{"models": {"name": {"input": dollars, "output": dollars}}}` per million tokens.
    public init(json: Data, source: String) throws(PriceTableError) {
        let document: JSONValue
        do { document = try JSONValue.decode(json) } catch { throw .invalid(source, "not JSON") }
        guard let models = document["models"]?.objectValue else { throw .invalid(source, "no 'models' object") }
        var prices: [String: ModelPrice] = [:]
        for (name, entry) in models {
            guard let input = entry["input"]?.numberValue, let output = entry["output"]?.numberValue, input >= 0, output >= 0 else {
                throw .invalid(source, "model '\(name)' needs non-negative numbers 'input' and 'output'")
            }
            prices[name.lowercased()] = ModelPrice(inputPerMillion: input, outputPerMillion: output)
        }
        self.init(prices: prices, asOf: document["as_of"]?.stringValue)
    }

    /// The table shipped with the agent.
    public static func bundled(_ resources: AgentResources) throws(PriceTableError) -> PriceTable {
        let file = resources.directory.appending(path: "prices.json")
        guard let data = FileManager.default.contents(atPath: file.path) else { throw .invalid(file.path, "missing") }
        return try PriceTable(json: data, source: file.path)
    }

    /// Reads a table from a file.
    public static func load(path: String) throws(PriceTableError) -> PriceTable {
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalid(path, "cannot read the file") }
        return try PriceTable(json: data, source: path)
    }

    /// The entry for `model`: the exact name, else the longest entry the name starts with (then '-', ':' or '@'),
    /// after dropping a `provider/` prefix.
    public func entry(for model: String) -> (name: String, price: ModelPrice)? {
        var name = model.lowercased()
        if let exact = prices[name] { return (name, exact) }
        if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        if let exact = prices[name] { return (name, exact) }
        let candidates = prices.keys.filter { key in
            guard name.hasPrefix(key), let next = name.dropFirst(key.count).first else { return false }
            return next == "-" || next == ":" || next == "@"
        }
        guard let best = candidates.max(by: { $0.count < $1.count }), let price = prices[best] else { return nil }
        return (best, price)
    }

    /// The cost of `usage` on `model`; an unknown model costs 0 with `known == false`.
    public func cost(of usage: TokenUsage, model: String) -> Cost {
        guard let (name, price) = entry(for: model) else { return Cost(usd: 0, pricedAs: nil) }
        let usd = Double(usage.promptTokens) * price.inputPerMillion / 1e6 + Double(usage.completionTokens) * price.outputPerMillion / 1e6
        return Cost(usd: usd, pricedAs: name)
    }
}
