import LLRCore
import Testing
@testable import LLRDedupe

@Suite struct ComparisonTests {
    /// Each comparison's level is the first in the settings' order that the
    /// pair meets, whatever that order: the model looks levels up in tables
    /// made once, and these settings put them in an unusual order.
    @Test func levelsAreTheFirstInOrderThatAPairMeets() {
        func level(_ kind: ComparisonLevel.Kind) -> ComparisonLevel { ComparisonLevel(kind: kind, threshold: 0.9, termFrequency: false, m: 0.5, u: 0.1) }
        var settings = linkageSettings
        settings.comparisons[.dob] = [level(.dayMonthSwap), level(.exact), level(.other)]
        settings.comparisons[.postcode] = [level(.district), level(.exact), level(.other)]
        settings.comparisons[.sex] = [level(.other)]
        let records = PersonRecords(identifierColumns: settings.deterministic.count)
        let none = [String](repeating: "", count: settings.deterministic.count)
        let rows: [(String, String, String)] = [
            ("2012-07-04", "M", "LE4 7NF"), ("2012-04-07", "F", "LE4 7NF"), ("2012-07-04", "M", "LE4 9ZZ"),
            ("2013-01-30", "", "LE1 1AA"), ("2012-07-04", "M", ""),
        ]
        for (i, r) in rows.enumerated() {
            records.append(forename: "ANNA\(i)", surname: "SMITH", dob: r.0, sex: r.1, postcode: r.2, identifiers: none)
        }
        let profiles = ProfileTable(records)
        var uf = GuardedUnionFind(count: records.count, guards: [])
        var stats = LinkStats()
        records.arena.withUnsafeBufferPointer { arena in
            let model = MatchModel(settings: settings, records: records, profiles: profiles, arena: arena, unionFind: &uf, stats: &stats)
            func levels(_ a: Int, _ b: Int) -> (dob: Int8, sex: Int8, postcode: Int8) {
                let lv = model.levelsOf(a, b, arena: arena)
                return (lv[2], lv[3], lv[4])
            }
            // Same dob: `exact` (1) comes after `day-month-swap`, which it does not meet.
            #expect(levels(0, 2) == (1, 0, 0))  // same sector: `district` (0) comes first and is met
            #expect(levels(0, 1) == (0, 0, 0))  // swapped day and month; sexes differ: `else`
            #expect(levels(0, 3) == (2, -1, 2)) // different dob; sex missing; another district: `else`
            #expect(levels(0, 4) == (1, 0, -1)) // postcode missing
        }
    }

    /// A rule's pairs found slice by slice, on several workers, are the
    /// rule's pairs in the same order, however many slices: a slice is cut
    /// only where the blocking key changes, so no block is split or lost.
    @Test func blockSlicesGiveTheRulesPairsInOrder() {
        let settings = linkageSettings
        let records = PersonRecords(identifierColumns: settings.deterministic.count)
        let none = [String](repeating: "", count: settings.deterministic.count)
        // Big and small blocks side by side: many share a dob, a few a surname.
        for i in 0..<300 {
            records.append(forename: ["ANNA", "AMY", "BEN", "CARL"][i % 4] + "\(i % 7)", surname: "SMITH\(i % 5)",
                           dob: "2012-0\(1 + i % 3)-1\(i % 2)", sex: i % 2 == 0 ? "F" : "M", postcode: "LE\(i % 9) 7NF", identifiers: none)
        }
        let profiles = ProfileTable(records)
        records.arena.withUnsafeBufferPointer { arena in
            let blocks = BlockingKeys(settings: settings, records: records, profiles: profiles, arena: arena, jobs: 2)
            var pairs = 0
            for rule in 0..<blocks.rules {
                var whole: [[Int]] = []
                blocks.forEachPair(rule: rule, in: 0..<blocks.order[rule].count) { whole.append([$0, $1]) }
                pairs += whole.count
                for count in [1, 2, 3, 8, 50, 1000] {
                    var sliced: [[Int]] = []
                    var next = 0
                    for k in 0..<count {
                        let positions = blocks.slice(rule: rule, k, of: count)
                        #expect(positions.lowerBound == next)
                        next = positions.upperBound
                        blocks.forEachPair(rule: rule, in: positions) { sliced.append([$0, $1]) }
                    }
                    #expect(next == blocks.order[rule].count)
                    let same = sliced == whole  // (not in the expectation: it would print thousands of pairs)
                    #expect(same, "rule \(rule) in \(count) slices: \(sliced.count) pairs, \(whole.count) expected")
                }
            }
            #expect(pairs > 1000)
        }
    }

    /// The nickname lookup answers as the table does, name by name, and
    /// finds nothing for a name the table lacks or a name's prefix.
    @Test func nicknameLookupMatchesTheTable() {
        let table = linkageSettings.nicknameGroups
        #expect(table.count > 10)
        let lookup = NicknameLookup(table)
        for (name, groups) in table {
            let found = name.withUnsafeBufferPointer { lookup.groups(of: $0) }
            #expect(found?.0 == Int32(groups[0]) && found?.1 == (groups.count > 1 ? Int32(groups[1]) : -1), "\(String(decoding: name, as: UTF8.self))")
        }
        for miss in ["ZZYZX", "THOMA", ""] {
            #expect(Array(miss.utf8).withUnsafeBufferPointer { lookup.groups(of: $0) } == nil)
        }
    }

    @Test func jaroWinklerKnownValues() {
        // Published values (Winkler 1990 examples).
        #expect(abs(jaroWinkler("MARTHA", "MARHTA") - 0.9611) < 0.001)
        #expect(abs(jaroWinkler("DWAYNE", "DUANE") - 0.84) < 0.001)
        #expect(abs(jaroWinkler("DIXON", "DICKSONX") - 0.8133) < 0.001)
        #expect(jaroWinkler("SMITH", "SMITH") == 1)
        #expect(jaroWinkler("ABC", "XYZ") == 0)
    }

    @Test(arguments: [
        (20190403, 20190403, DOBAgreement.exact),
        (20190403, 20190304, .dayMonthSwap),
        (20190403, 20190408, .oneDigit),
        (20190403, 20190430, .oneDigit),   // neighbouring digits swapped
        (20190403, 20180403, .oneDigit),
        (20190403, 20170812, .other),
    ] as [(Int32, Int32, DOBAgreement)])
    func datesOfBirth(a: Int32, b: Int32, expected: DOBAgreement) {
        #expect(compareDOB(a, b) == expected)
    }

    @Test(arguments: [
        ("LE1 6ZG", "LE1 6ZG", PostcodeAgreement.exact),
        ("LE1 6ZG", "LE1 6AB", .sector),
        ("LE1 6ZG", "LE1 7AB", .district),
        ("LE1 6ZG", "LE1", .districtOnly),
        ("LE1", "LE1", .districtOnly),
        ("LE1 6ZG", "LE16 6ZG", .other),
        ("2119", "2119", .exact),
        ("2119", "2191", .other),
        ("2119", "LE1", .other),
    ])
    func postcodes(a: String, b: String, expected: PostcodeAgreement) {
        let x = Array(a.utf8), y = Array(b.utf8)
        x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in #expect(comparePostcodes(p, q) == expected) } }
    }
}

/// The outputs' orders come from packed keys; they must be the orders the
/// plain comparisons give, ties included, or reruns would not match.
@Suite struct OutputOrderTests {
    @Test func packedOrderMatchesTheComparatorItReplaces() {
        var rng = SystemRandomNumberGenerator()
        let n = 5_000
        // Few distinct values, so ties are common; negative starts (unknown dates are Int32.min).
        let rank = (0..<n).map { _ in Int32.random(in: 0..<50, using: &rng) }
        let start = (0..<n).map { _ in [Int32.min, -3, 0, 7, 20_000][Int.random(in: 0..<5, using: &rng)] }
        let keep = (0..<n).map { _ in Bool.random(using: &rng) }
        let packed = PackedOrder.indices(n, include: { keep[$0] }) { i -> (high: UInt64, low: UInt32) in
            let high: UInt64 = UInt64(UInt32(bitPattern: rank[i])) << 32 | UInt64(PackedOrder.ordered(start[i]))
            return (high, 0)
        }.map(Int.init)
        let plain = (0..<n).filter { keep[$0] }.sorted { (rank[$0], start[$0], $0) < (rank[$1], start[$1], $1) }
        #expect(packed == plain)
    }

    @Test func personIdsInTextOrder() {
        let hex = ["ffffffffffffffff00000000", "000045ba2e9c59aaccc776fa", "000045ba2e9c59aaccc776f0", "a00045ba2e9c59aaccc776fa",
                   "000045ba2e9c59aaccc776fa", "9fffffffffffffffffffffff"]
        #expect(personIdOrder(hex) == [2, 1, 4, 5, 3, 0])
        // Ids of another form (upper case, other lengths) are ordered as text.
        let other = ["B1", "a2", "A10", "000045ba2e9c59aaccc776fa"]
        #expect(personIdOrder(other) == other.indices.sorted { other[$0] < other[$1] })
    }
}

@Suite struct EarlierIdTests {
    /// An earlier night's id stays with the cluster holding most of its
    /// records (a partner's id that turned out to cover two children cannot
    /// end up on both); on a tie, the lowest cluster number.
    @Test func anEarlierIdGoesToTheClusterHoldingMostOfItsRecords() {
        func h(_ id: UInt64, _ cluster: UInt64) -> UInt64 { id << 32 | cluster }
        let holdings = [h(0, 7), h(1, 4), h(0, 3), h(0, 7), h(1, 9), h(2, 5), h(1, 9), h(3, 8), h(3, 2)]
        let keepers = keepersOfEarlierIds(holdings)
        #expect(keepers.map(\.id) == [0, 1, 2, 3])
        #expect(keepers.map(\.cluster) == [7, 9, 5, 2])
        #expect(keepersOfEarlierIds([]).isEmpty)
    }
}
