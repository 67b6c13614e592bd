import Foundation
import LLRCore

/// Expectation maximisation of the model's m and u (and the share of
/// matches, λ) over the candidate pairs, for files with no identifier to
/// trust. Pairs are counted by their vector of levels first: a file of
/// thousands of records has a few thousand distinct vectors, so each
/// iteration is quick whatever the number of pairs.
extension MatchModel {
    struct LevelPattern: Hashable, Sendable {
        let levels: SIMD16<Int8>
    }

    /// The candidate pairs' level vectors with how many pairs have each;
    /// records with identical details count as pairs of their profile.
    func levelPatterns(_ blocks: BlockingKeys, profiles: ProfileTable, arena: UnsafeBufferPointer<UInt8>, jobs: Int) -> [(LevelPattern, Double)] {
        let shared = ReadOnlyBytes(buffer: arena)
        let model = self
        let slices = jobs > 1 ? 4 * jobs : 1
        let parts = concurrentMap(blocks.rules * slices, jobs: jobs) { task -> [LevelPattern: Double] in
            let rule = task / slices
            var counts: [LevelPattern: Double] = [:]
            blocks.forEachPair(rule: rule, in: blocks.slice(rule: rule, task % slices, of: slices)) { p, q in
                counts[LevelPattern(levels: model.levelsOf(p, q, arena: shared.buffer)), default: 0] += 1
            }
            return counts
        }
        var total: [LevelPattern: Double] = [:]
        for part in parts { total.merge(part, uniquingKeysWith: +) }
        for p in 0..<profiles.count where profiles.memberCount(p) > 1 {
            total[LevelPattern(levels: levelsOf(p, p, arena: arena)), default: 0] += Double(profiles.memberCount(p) - 1)
        }
        // In one order, so the sums (and so the weights) are the same on every run.
        return total.sorted { lexicographic($0.0.levels, $1.0.levels) }
    }

    /// Runs EM from the model's current m and u until no parameter moves
    /// by 1e-7 (at most 500 rounds); sets the weights and returns λ.
    mutating func trainByEM(_ patterns: [(LevelPattern, Double)], stats: inout LinkStats) -> Double {
        var m = levels.indices.map { f in levels[f].indices.map { flatM[f * levelStride + $0] } }
        var u = levels.indices.map { f in levels[f].indices.map { flatM[f * levelStride + $0] / exp2(flatWeights[f * levelStride + $0]) } }
        var lambda = 0.1
        let pseudo = 1e-3
        for _ in 0..<500 {
            var mSum = levels.map { [Double](repeating: pseudo, count: $0.count) }
            var uSum = mSum
            var matched = 0.0, all = 0.0
            for (pattern, count) in patterns {
                var logM = log(lambda), logU = log(1 - lambda)
                for f in 0..<fieldCount where pattern.levels[f] >= 0 {
                    logM += log(m[f][Int(pattern.levels[f])]); logU += log(u[f][Int(pattern.levels[f])])
                }
                let p = 1 / (1 + exp(logU - logM))
                matched += count * p; all += count
                for f in 0..<fieldCount where pattern.levels[f] >= 0 {
                    mSum[f][Int(pattern.levels[f])] += count * p
                    uSum[f][Int(pattern.levels[f])] += count * (1 - p)
                }
            }
            var moved = 0.0
            for f in 0..<fieldCount {
                let mt = mSum[f].reduce(0, +), ut = uSum[f].reduce(0, +)
                for k in m[f].indices {
                    let nm = mSum[f][k] / mt, nu = uSum[f][k] / ut
                    moved = max(moved, abs(nm - m[f][k]), abs(nu - u[f][k]))
                    m[f][k] = nm; u[f][k] = nu
                }
            }
            let newLambda = min(max(matched / max(all, 1), 1e-9), 1 - 1e-9)
            moved = max(moved, abs(newLambda - lambda))
            lambda = newLambda
            stats.emIterations += 1
            if moved < 1e-7 { break }
        }
        setWeights(m: m, u: u, termFrequencies: false, stats: &stats)
        stats.emLambda = lambda
        return lambda
    }
}

/// Level vectors in lexicographic order.
private func lexicographic(_ a: SIMD16<Int8>, _ b: SIMD16<Int8>) -> Bool {
    for i in 0..<16 where a[i] != b[i] { return a[i] < b[i] }
    return false
}
