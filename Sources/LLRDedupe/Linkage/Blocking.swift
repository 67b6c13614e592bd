import LLRCore

/// Candidate pairs: profiles that agree on every key of at least one
/// blocking rule. A pair met by an earlier rule is not offered again, and a
/// block larger than `maxBlock` is cut into windows of that size, so the
/// number of pairs grows with the records, not with their square.
struct BlockingKeys: @unchecked Sendable {
    let rules: Int
    let maxBlock: Int
    /// keys[rule][profile]: 0 when a field of the rule is missing.
    let keys: [[UInt64]]
    /// Per rule, profiles sorted by key (missing keys left out).
    let order: [[Int32]]

    /// The rules' keys are made on `jobs` workers, a rule each (the records
    /// and arena are only read meanwhile).
    init(settings: LinkageSettings, records: PersonRecords, profiles: ProfileTable, arena: UnsafeBufferPointer<UInt8>, jobs: Int = 1) {
        rules = settings.blocking.count
        maxBlock = settings.maxBlock
        let shared = ReadOnlyBytes(buffer: arena)
        let built = concurrentMap(settings.blocking.count, jobs: jobs) { [records, profiles] i -> ([UInt64], [Int32]) in
            let arena = shared.buffer
            // A key a role does not name is a compare column's (its cell, whole).
            let components = settings.blocking[i].map { key in
                Component(rawValue: key).map { ($0, -1) } ?? (.none, settings.compare.firstIndex { $0.column == key } ?? -1)
            }
            var column = [UInt64](repeating: 0, count: profiles.count)
            for p in 0..<profiles.count {
                let r = Int(profiles.representative[p])
                var h: UInt64 = 0x1234_5678
                var missing = false
                for (k, (c, column)) in components.enumerated() {
                    let v = column >= 0 ? spanHash(arena, records.extra[column][r], seed: 20 &+ UInt64(column))
                        : c.value(record: r, records: records, arena: arena)
                    if v == 0 { missing = true; break }
                    h = mixHash(h ^ v &+ UInt64(k) &* 0x9E37_79B9)
                }
                column[p] = missing ? 0 : (h == 0 ? 1 : h)
            }
            // Sorted as (key, profile) pairs side by side: sorting numbers
            // through the column was a cache miss per comparison.
            var pairs: [(key: UInt64, profile: Int32)] = []
            pairs.reserveCapacity(profiles.count)
            for p in 0..<profiles.count where column[p] != 0 { pairs.append((column[p], Int32(p))) }
            pairs.sort { $0.key != $1.key ? $0.key < $1.key : $0.profile < $1.profile }
            return (column, pairs.map(\.profile))
        }
        keys = built.map(\.0)
        order = built.map(\.1)
    }

    /// A blocking key's part, as `linkage.yaml` names it (`LinkageSettings.blockingKeys`).
    enum Component: String, CaseIterable {
        case dob, dobYear = "dob-year", forename, surname, forename1, surname1, namePair = "name-pair", postcode, district, sex, none

        /// The part's value for a record; 0 when the record lacks it.
        @inline(__always) func value(record r: Int, records: PersonRecords, arena: UnsafeBufferPointer<UInt8>) -> UInt64 {
            switch self {
            case .dob: return records.dob[r] == 0 ? 0 : UInt64(records.dob[r])
            case .dobYear: return records.dob[r] == 0 ? 0 : UInt64(records.dob[r] / 10000)
            case .forename: return spanHash(arena, records.forename[r], seed: 1)
            case .surname: return spanHash(arena, records.surname[r], seed: 2)
            case .forename1: return records.forename[r].count == 0 ? 0 : UInt64(arena[Int(records.forename[r].offset)]) | 0x100
            case .surname1: return records.surname[r].count == 0 ? 0 : UInt64(arena[Int(records.surname[r].offset)]) | 0x100
            case .namePair:
                let f = spanHash(arena, records.forename[r], seed: 7), s = spanHash(arena, records.surname[r], seed: 7)
                if f == 0 || s == 0 { return 0 }
                return mixHash(min(f, s) &* 31 ^ max(f, s))
            case .postcode: return spanHash(arena, records.postcode[r], seed: 3)
            case .district:
                let pc = spanBytes(arena, records.postcode[r])
                let n = firstSpace(pc) ?? pc.count
                return identifierHash(UnsafeBufferPointer(rebasing: pc[0..<n]), seed: 4)
            case .sex: return UInt64(records.sex[r])
            case .none: return 0
            }
        }
    }

    /// Slice `k` of `count` of a rule's sorted profiles, cut only where the
    /// key changes, so that no block is split and the slices in order cover
    /// the blocks in order: a rule's pairs can be found on several workers.
    func slice(rule: Int, _ k: Int, of count: Int) -> Range<Int> {
        let column = keys[rule], sorted = order[rule]
        func cut(_ i: Int) -> Int {
            var at = sorted.count * i / count
            while at > 0 && at < sorted.count && column[Int(sorted[at])] == column[Int(sorted[at - 1])] { at += 1 }
            return at
        }
        return cut(k)..<cut(k + 1)
    }

    /// The pairs of the blocks that start within `positions` of the rule's sorted profiles.
    func forEachPair(rule: Int, in positions: Range<Int>, _ body: (Int, Int) -> Void) {
        let column = keys[rule]
        let sorted = order[rule]
        var start = positions.lowerBound
        while start < positions.upperBound {
            let key = column[Int(sorted[start])]
            var end = start + 1
            while end < sorted.count && column[Int(sorted[end])] == key { end += 1 }
            var w = start
            while w < end {
                let wEnd = min(end, w + maxBlock)
                if wEnd - w > 1 {
                    for i in w..<(wEnd - 1) {
                        let p = Int(sorted[i])
                        for j in (i + 1)..<wEnd {
                            let q = Int(sorted[j])
                            if metEarlier(rule: rule, p, q) { continue }
                            body(p, q)
                        }
                    }
                }
                w = wEnd
            }
            start = end
        }
    }

    @inline(__always) func metEarlier(rule: Int, _ p: Int, _ q: Int) -> Bool {
        var k = 0
        while k < rule {
            let a = keys[k][p]
            if a != 0 && a == keys[k][q] { return true }
            k += 1
        }
        return false
    }
}
