import Foundation

/// A small, fast, seeded generator (SplitMix64), so property tests are reproducible.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The numbers a hostile client tries first.
    public static let extremes: [Double] = [
        0, -0.0, -1, .leastNonzeroMagnitude, 1e-300, 0.5, 2.5, 1e19, 9_007_199_254_740_992, 9.223372036854775807e18, 1e300,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
    ]

    /// A number from a hostile mix: extremes, small and large integers, fractions, any bit pattern,
    /// powers of ten across the whole range.
    public mutating func hostileNumber() -> Double {
        switch Int.random(in: 0..<5, using: &self) {
        case 0: return Self.extremes.randomElement(using: &self)!
        case 1: return Double(Int.random(in: -10...2_000_000, using: &self))
        case 2: return Double.random(in: -1e6...1e8, using: &self)
        case 3: return Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &self))
        default: return pow(10, Double.random(in: -320...308, using: &self))
        }
    }
}
