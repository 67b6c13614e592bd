/// SplitMix64: small, fast, and the same sequence on every machine, so the
/// same seed always gives byte-identical returns.
public struct SynthRandom {
    var state: UInt64
    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678 }

    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<n
    @inline(__always) public mutating func below(_ n: Int) -> Int {
        n <= 1 ? 0 : Int(next() % UInt64(n))
    }

    /// [0, 1)
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    @inline(__always) public mutating func chance(_ p: Double) -> Bool { unit() < p }

    public mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }

    /// A whole number of events whose mean is `mean` (floor plus a Bernoulli remainder).
    public mutating func count(mean: Double) -> Int {
        let whole = Int(mean)
        return whole + (chance(mean - Double(whole)) ? 1 : 0)
    }

    /// A generator for one child or record, independent of draw order elsewhere.
    public static func derived(seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) -> SynthRandom {
        var r = SynthRandom(seed: seed ^ (a &* 0xD6E8_FEB8_6659_FD93) ^ (b &* 0xA076_1D64_78BD_642F))
        _ = r.next()
        return r
    }
}

/// Walker's alias method: draws an index in proportion to its weight in O(1).
public struct WeightedPicker {
    /// Each slot's own probability and its alias, side by side: one cache line per draw.
    struct Slot { var probability: Double; var alias: Int }
    let slots: [Slot]

    public init(_ weights: [Double]) {
        let n = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { total > 0 ? $0 * Double(n) / total : 1 }
        var prob = [Double](repeating: 0, count: n)
        var alias = [Int](repeating: 0, count: n)
        var small: [Int] = [], large: [Int] = []
        for (i, w) in scaled.enumerated() { if w < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast(), let l = large.popLast() {
            prob[s] = scaled[s]
            alias[s] = l
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { small.append(l) } else { large.append(l) }
        }
        for i in large + small { prob[i] = 1 }
        slots = (0..<n).map { Slot(probability: prob[$0], alias: alias[$0]) }
    }

    public func pick(_ r: inout SynthRandom) -> Int {
        let i = r.below(slots.count)
        let s = slots[i]
        return r.unit() < s.probability ? i : s.alias
    }
}
