import LLRCore
import Foundation

/// The Fellegi–Sunter model: for each comparison, the level a pair falls in
/// and that level's weight log2(m/u). m is estimated from pairs of
/// different details that the deterministic rules joined (true matches with
/// real noise), u from random pairs; the configured values act as a prior
/// worth `priorPairs` pairs, so thin data falls back to them smoothly.
struct MatchModel: Sendable {
    static let priorPairs = 20.0
    static let fields: [LinkField] = [.forename, .surname, .dob, .sex, .postcode]
    /// The five roles, then generic mode's compare columns: one level per
    /// field in a pair's vector of levels.
    static let maxFields = 16

    let levels: [[ComparisonLevel]]
    let fieldNames: [String]
    // What scoring reads for every pair, as values of this struct: read
    // from PersonRecords (a class's variables) and from the nested level
    // arrays, each field cost a retain, a release and an exclusivity check
    // per pair, about a fifth of the scoring's time.
    let representative: [Int32]
    let forename: [PersonRecords.Span], surname: [PersonRecords.Span], postcode: [PersonRecords.Span]
    let dob: [Int32]
    let sex: [UInt8]
    let forenameLevels: [ComparisonLevel], surnameLevels: [ComparisonLevel]
    /// Generic mode's compare columns: cells, values (for a distance), levels.
    let extra: [[PersonRecords.Span]], extraValue: [[Double]], extraLevels: [[ComparisonLevel]]
    /// The level of each date-of-birth agreement (exact, day-month swap,
    /// one digit, other) and postcode agreement (exact, sector, district,
    /// other); the sex level when the two agree and when they differ.
    let dobLevel: SIMD4<Int8>, postcodeLevel: SIMD4<Int8>, sexLevel: SIMD2<Int8>
    /// Each level's weight log2(m/u) and its m by field × level, flat (level
    /// k of field f at f × levelStride + k), and whether a level's weight
    /// comes from the name's frequency.
    private(set) var flatWeights: [Double] = [], flatM: [Double] = []
    private(set) var byFrequency: [Bool] = []
    let levelStride: Int
    /// Share of profiles holding each profile's forename and surname.
    let forenameShare: [Float]
    let surnameShare: [Float]
    /// Nickname groups of each profile's forename (up to two; -1 none).
    let nickname: [(Int32, Int32)]
    var fieldCount: Int { levels.count }

    init(settings: LinkageSettings, records: PersonRecords, profiles: ProfileTable, arena: UnsafeBufferPointer<UInt8>,
         unionFind uf: inout GuardedUnionFind, stats: inout LinkStats, jobs: Int = 1) {
        let roleLevels = MatchModel.fields.map { settings.comparisons[$0] ?? [ComparisonLevel(kind: .other, threshold: 0, termFrequency: false, m: 1, u: 1)] }
        let levels = roleLevels + settings.compare.map(\.levels)
        self.levels = levels
        fieldNames = MatchModel.fields.map(\.rawValue) + settings.compare.map(\.column)
        representative = profiles.representative
        forename = records.forename; surname = records.surname; postcode = records.postcode
        dob = records.dob; sex = records.sex
        extra = records.extra; extraValue = records.extraValue; extraLevels = settings.compare.map(\.levels)
        forenameLevels = levels[0]; surnameLevels = levels[1]
        // The first level in order that an agreement meets, as levelsOf's loops found it.
        func firstLevel(_ field: Int, _ hit: (ComparisonLevel.Kind) -> Bool) -> Int8 {
            levels[field].firstIndex { hit($0.kind) }.map { Int8($0) } ?? -1
        }
        dobLevel = SIMD4(firstLevel(2) { $0 == .exact || $0 == .other }, firstLevel(2) { $0 == .dayMonthSwap || $0 == .other },
                         firstLevel(2) { $0 == .oneDigit || $0 == .other }, firstLevel(2) { $0 == .other })
        postcodeLevel = SIMD4(firstLevel(4) { [.exact, .sector, .district, .other].contains($0) }, firstLevel(4) { [.sector, .district, .other].contains($0) },
                              firstLevel(4) { [.district, .other].contains($0) }, firstLevel(4) { $0 == .other })
        sexLevel = SIMD2(firstLevel(3) { $0 == .exact || $0 == .other }, firstLevel(3) { $0 == .other })
        levelStride = levels.map(\.count).max() ?? 1
        let names = NameFrequencies(records: records, profiles: profiles, nicknames: NicknameLookup(settings.nicknameGroups), arena: arena)
        forenameShare = names.forenameShare
        surnameShare = names.surnameShare
        nickname = names.nickname
        let (m, u) = estimateFromIdentifiers(settings: settings, profiles: profiles, arena: arena, unionFind: &uf, stats: &stats, jobs: jobs)
        setWeights(m: m, u: u, stats: &stats)
    }

    /// m from pairs of profiles the deterministic rules put together (when
    /// there are enough; otherwise the configured values), u from random
    /// pairs, each smoothed towards the configured value.
    private func estimateFromIdentifiers(settings: LinkageSettings, profiles: ProfileTable, arena: UnsafeBufferPointer<UInt8>,
                                         unionFind uf: inout GuardedUnionFind, stats: inout LinkStats, jobs: Int) -> (m: [[Double]], u: [[Double]]) {
        var m = levels.map { $0.map(\.m) }
        var u = levels.map { $0.map(\.u) }
        let np = profiles.count
        var byRoot: [(Int32, Int32)] = (0..<np).map { (uf.find(profiles.representative[$0]), Int32($0)) }
        byRoot.sort { $0 < $1 }
        var trainingPairs: [(Int32, Int32)] = []
        var start = 0
        while start < byRoot.count && trainingPairs.count < settings.randomPairs {
            var end = start + 1
            while end < byRoot.count && byRoot[end].0 == byRoot[start].0 { end += 1 }
            if end - start > 1 {
                for k in (start + 1)..<min(end, start + 20) { trainingPairs.append((byRoot[start].1, byRoot[k].1)) }
            }
            start = end
        }
        stats.trainingPairs = trainingPairs.count
        var randomPairs: [(Int32, Int32)] = []
        var rng = settings.seed &+ 0x9E37_79B9_7F4A_7C15
        if np > 1 {
            for _ in 0..<settings.randomPairs {
                let p = Int(splitMix(&rng) % UInt64(np)), q = Int(splitMix(&rng) % UInt64(np))
                if p != q { randomPairs.append((Int32(p), Int32(q))) }
            }
        }
        stats.randomPairs = randomPairs.count
        let mCounts = levelCounts(trainingPairs, arena: arena, jobs: jobs)
        let uCounts = levelCounts(randomPairs, arena: arena, jobs: jobs)
        let useTraining = trainingPairs.count >= settings.minTrainingPairs && settings.training == .identifiers
        for f in 0..<fieldCount {
            let mTotal = mCounts[f].reduce(0, +), uTotal = uCounts[f].reduce(0, +)
            for k in levels[f].indices {
                if useTraining { m[f][k] = (mCounts[f][k] + MatchModel.priorPairs * levels[f][k].m) / (mTotal + MatchModel.priorPairs) }
                u[f][k] = (uCounts[f][k] + MatchModel.priorPairs * levels[f][k].u) / (uTotal + MatchModel.priorPairs)
            }
        }
        return (m, u)
    }

    /// Each level's weight log2(m/u), and the parameters as the report shows them.
    /// `termFrequencies`: false when u was estimated among the candidate
    /// pairs (EM), where a name's share of all records is not its u.
    mutating func setWeights(m: [[Double]], u: [[Double]], termFrequencies: Bool = true, stats: inout LinkStats) {
        flatWeights = [Double](repeating: 0, count: fieldCount * levelStride)
        flatM = flatWeights
        byFrequency = [Bool](repeating: false, count: fieldCount * levelStride)
        stats.parameters = []
        for f in 0..<fieldCount {
            for k in levels[f].indices {
                flatWeights[f * levelStride + k] = log2(m[f][k] / u[f][k])
                flatM[f * levelStride + k] = m[f][k]
                byFrequency[f * levelStride + k] = termFrequencies && levels[f][k].termFrequency && levels[f][k].kind == .exact && f < 2
                let l = levels[f][k]
                let name = l.kind.rawValue + (l.kind == .jaroWinkler ? " \(l.threshold)" : l.kind == .distance ? " within \(l.threshold)" : "")
                stats.parameters.append((fieldNames[f], name, m[f][k], u[f][k]))
            }
        }
    }

    /// How many of `pairs` fall in each level of each field, counted on
    /// `jobs` workers (whole counts, so the sums do not depend on the split).
    func levelCounts(_ pairs: [(Int32, Int32)], arena: UnsafeBufferPointer<UInt8>, jobs: Int) -> [[Double]] {
        let shared = ReadOnlyBytes(buffer: arena)
        let model = self
        let zero = levels.map { [Double](repeating: 0, count: $0.count) }
        let parts = concurrentChunks(pairs.count, jobs: jobs) { range -> [[Double]] in
            var counts = zero
            for i in range {
                let lv = model.levelsOf(Int(pairs[i].0), Int(pairs[i].1), arena: shared.buffer)
                for f in 0..<model.fieldCount where lv[f] >= 0 { counts[f][Int(lv[f])] += 1 }
            }
            return counts
        }
        var total = zero
        for part in parts { for f in total.indices { for k in total[f].indices { total[f][k] += part[f][k] } } }
        return total
    }

    /// The total match weight of a pair of profiles.
    @inline(__always) func weight(_ p: Int, _ q: Int, arena: UnsafeBufferPointer<UInt8>) -> Double {
        let lv = levelsOf(p, q, arena: arena)
        var w = 0.0
        for f in 0..<fieldCount {
            let k = Int(lv[f])
            if k < 0 { continue }
            let at = f * levelStride + k
            if byFrequency[at] {
                let share = Double(f == 0 ? forenameShare[p] : surnameShare[p])
                w += log2(flatM[at] / max(share, 1e-7))
            } else {
                w += flatWeights[at]
            }
        }
        return w
    }

    /// The level index of each comparison (-1 when a value is missing).
    func levelsOf(_ p: Int, _ q: Int, arena: UnsafeBufferPointer<UInt8>) -> SIMD16<Int8> {
        let a = Int(representative[p]), b = Int(representative[q])
        var out = SIMD16<Int8>(repeating: -1)
        let fa = spanBytes(arena, forename[a]), fb = spanBytes(arena, forename[b])
        let sa = spanBytes(arena, surname[a]), sb = spanBytes(arena, surname[b])
        let swapped = namesSwapped(fa, sa, fb, sb)
        let variant = shareNicknameGroup(nickname[p], nickname[q])
        out[0] = nameLevel(forenameLevels, fa, fb, swapped: swapped, variant: variant)
        // Swapped names are one piece of evidence, counted on the forename only.
        out[1] = swapped ? -1 : nameLevel(surnameLevels, sa, sb, swapped: false, variant: false)
        let da = dob[a], db = dob[b]
        if da != 0 && db != 0 {
            switch compareDOB(da, db) {
            case .exact: out[2] = dobLevel[0]
            case .dayMonthSwap: out[2] = dobLevel[1]
            case .oneDigit: out[2] = dobLevel[2]
            case .other: out[2] = dobLevel[3]
            }
        }
        let xa = sex[a], xb = sex[b]
        if xa != 0 && xb != 0 { out[3] = xa == xb ? sexLevel[0] : sexLevel[1] }
        let pa = spanBytes(arena, postcode[a]), pb = spanBytes(arena, postcode[b])
        if pa.count > 0 && pb.count > 0 {
            switch comparePostcodes(pa, pb) {
            case .exact: out[4] = postcodeLevel[0]
            case .sector: out[4] = postcodeLevel[1]
            case .district: out[4] = postcodeLevel[2]
            case .districtOnly: break
            case .other: out[4] = postcodeLevel[3]
            }
        }
        for e in extra.indices {
            let ca = spanBytes(arena, extra[e][a]), cb = spanBytes(arena, extra[e][b])
            if ca.count > 0 && cb.count > 0 { out[5 + e] = columnLevel(extraLevels[e], ca, cb, extraValue[e][a], extraValue[e][b]) }
        }
        return out
    }
}

/// The first level of a compare column's levels that two cells meet.
@inline(__always) func columnLevel(_ levels: [ComparisonLevel], _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
                                   _ va: Double, _ vb: Double) -> Int8 {
    let equal = same(a, b)
    var jw = -1.0
    for (k, l) in levels.enumerated() {
        switch l.kind {
        case .exact: if equal { return Int8(k) }
        case .jaroWinkler:
            if jw < 0 { jw = jaroWinkler(a, b) }
            if jw >= l.threshold { return Int8(k) }
        case .oneDigit: if equal || oneCharacterApart(a, b) { return Int8(k) }
        case .distance: if !va.isNaN && !vb.isNaN && abs(va - vb) <= l.threshold { return Int8(k) }
        case .other: return Int8(k)
        default: continue
        }
    }
    return -1
}

/// Two strings of one length that differ in one character, or in two
/// neighbouring characters swapped (a keying slip in an id).
@inline(__always) func oneCharacterApart(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var first = -1, second = -1
    for i in 0..<a.count where a[i] != b[i] {
        if first < 0 { first = i } else if second < 0 { second = i } else { return false }
    }
    if first < 0 { return false }
    if second < 0 { return true }
    return second == first + 1 && a[first] == b[second] && a[second] == b[first]
}

/// Forename and surname given the other way round on one record.
@inline(__always) func namesSwapped(_ fa: UnsafeBufferPointer<UInt8>, _ sa: UnsafeBufferPointer<UInt8>,
                                    _ fb: UnsafeBufferPointer<UInt8>, _ sb: UnsafeBufferPointer<UInt8>) -> Bool {
    fa.count > 0 && sa.count > 0 && fb.count > 0 && sb.count > 0 && !same(fa, sa) && same(fa, sb) && same(sa, fb)
}

/// Whether two forenames' nickname groups (up to two each, -1 none) share one.
@inline(__always) func shareNicknameGroup(_ a: (Int32, Int32), _ b: (Int32, Int32)) -> Bool {
    a.0 >= 0 && b.0 >= 0 && (a.0 == b.0 || a.0 == b.1 || (a.1 >= 0 && (a.1 == b.0 || a.1 == b.1)))
}

/// Whether two byte strings are equal.
@inline(__always) func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    a.count == b.count && (a.count == 0 || memEqual(a.baseAddress!, b.baseAddress!, a.count))
}

/// The first of a name comparison's levels that two names meet (-1 when
/// either is missing). `swapped` and `variant` say whether the pair's
/// forename and surname are swapped and whether the names are nicknames of
/// one another, which the caller knows.
@inline(__always) func nameLevel(_ levels: [ComparisonLevel], _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
                                 swapped: Bool, variant: Bool) -> Int8 {
    if a.count == 0 || b.count == 0 { return -1 }
    let equal = same(a, b)
    var jw = -1.0
    for (k, l) in levels.enumerated() {
        switch l.kind {
        case .exact: if equal { return Int8(k) }
        case .swapped: if swapped { return Int8(k) }
        case .variant: if variant { return Int8(k) }
        case .jaroWinkler:
            if jw < 0 { jw = jaroWinkler(a, b) }
            if jw >= l.threshold { return Int8(k) }
        case .other: return Int8(k)
        default: continue
        }
    }
    return -1
}

/// Each profile's forename and surname's share of the profiles, and its
/// forename's nickname groups.
struct NameFrequencies {
    var forenameShare: [Float], surnameShare: [Float]
    var nickname: [(Int32, Int32)]

    init(records: PersonRecords, profiles: ProfileTable, nicknames: NicknameLookup, arena: UnsafeBufferPointer<UInt8>) {
        let np = profiles.count
        // Each distinct forename and surname numbered as it comes, with a count per number.
        var foreNames = NameCounts(capacity: np / 4), surNames = NameCounts(capacity: np / 4)
        var foreOf = [Int32](repeating: -1, count: np), surOf = [Int32](repeating: -1, count: np)
        var nick = [(Int32, Int32)](repeating: (-1, -1), count: np)
        for p in 0..<np {
            let r = Int(profiles.representative[p])
            let fh = spanHash(arena, records.forename[r], seed: 1), sh = spanHash(arena, records.surname[r], seed: 2)
            if fh != 0 { foreOf[p] = foreNames.add(fh) }
            if sh != 0 { surOf[p] = surNames.add(sh) }
            if records.forename[r].count > 0, let g = nicknames.groups(of: spanBytes(arena, records.forename[r])) { nick[p] = g }
        }
        let total = Float(max(np, 1))
        forenameShare = foreOf.map { $0 < 0 ? 1 : Float(foreNames.counts[Int($0)]) / total }
        surnameShare = surOf.map { $0 < 0 ? 1 : Float(surNames.counts[Int($0)]) / total }
        nickname = nick
    }
}

@inline(__always) func splitMix(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Distinct names numbered in order of first sight, each with how many
/// profiles hold it.
struct NameCounts {
    private var index: HashIndex
    private(set) var counts: [Int32] = []

    init(capacity: Int) { index = HashIndex(capacity: capacity) }

    /// The name's number, counting this sighting.
    mutating func add(_ hash: UInt64) -> Int32 {
        let (k, isNew) = index.number(hash)
        if isNew { counts.append(1) } else { counts[k] += 1 }
        return Int32(k)
    }
}

/// The nickname table's groups of a forename, found with no array made for
/// the name (one lookup per distinct set of details).
struct NicknameLookup {
    private var index = HashIndex(capacity: 64)
    private var names: [[UInt8]] = []
    private var groups: [(Int32, Int32)] = []
    /// Names whose hash another name already has (kept apart, so each is found exactly).
    private var clashes: [[UInt8]: [Int]] = [:]

    init(_ table: [[UInt8]: [Int]]) {
        for (name, g) in table where !g.isEmpty {
            let h = name.withUnsafeBufferPointer { identifierHash($0) }
            if index.number(h).isNew {
                names.append(name)
                groups.append((Int32(g[0]), g.count > 1 ? Int32(g[1]) : -1))
            } else {
                clashes[name] = g
            }
        }
    }

    /// The first two groups `name` is in, or nil.
    func groups(of name: UnsafeBufferPointer<UInt8>) -> (Int32, Int32)? {
        if let i = index.row(of: identifierHash(name)), names[i].elementsEqual(name) { return groups[i] }
        guard !clashes.isEmpty, let g = clashes[Array(name)] else { return nil }
        return (Int32(g[0]), g.count > 1 ? Int32(g[1]) : -1)
    }
}
