import Foundation
import LLRCore

/// A pair of records joined (or put up for review), and why.
public struct LinkEdge: Sendable, Equatable {
    public var a: Int32
    public var b: Int32
    /// Index of the deterministic rule, or `LinkEdge.probabilistic`,
    /// `LinkEdge.sameDetails` (identical details, strong enough alone), `LinkEdge.carried` (linked on an earlier night).
    public var rule: Int16
    public var weight: Float
    public static let probabilistic: Int16 = -1
    public static let sameDetails: Int16 = -2
    public static let carried: Int16 = -3
    /// A pair a person decided was one child (`llr-dedupe decide`).
    public static let decided: Int16 = -4
}

/// Pairs of records a person decided, by record number.
public struct PairDecisions: Sendable {
    public var matches: [(Int32, Int32)] = []
    public var nonMatches: [(Int32, Int32)] = []
    public init(matches: [(Int32, Int32)] = [], nonMatches: [(Int32, Int32)] = []) {
        self.matches = matches
        self.nonMatches = nonMatches
    }
    var isEmpty: Bool { matches.isEmpty && nonMatches.isEmpty }
}

public struct LinkStats: Sendable {
    public var records = 0
    public var profiles = 0
    public var candidatePairs = 0
    public var pairsPerRule: [Int] = []
    public var refusedByGuard = 0
    /// The deterministic rules' names and the thresholds, for the report.
    public var ruleNames: [String] = []
    /// Training by EM: rounds run, and the share of candidate pairs estimated to match.
    public var emIterations = 0
    public var emLambda = 0.0
    public var matchWeight = 0.0, reviewWeight = 0.0
    /// Per deterministic rule: records sharing its value with a record
    /// whose names and dob say another child (not joined on it).
    public var idConflicts: [Int] = []
    /// Rows of one earlier person that tonight's names and dob set apart.
    public var carriedRefused = 0
    /// Decided matches that joined (or were already together), and those a
    /// guard or a decided non-match kept apart; joins a decided non-match refused.
    public var decidedMatches = 0
    public var decidedMatchesRefused = 0
    public var decidedNonMatches = 0
    public var keptApartByDecision = 0
    public var trainingPairs = 0
    public var randomPairs = 0
    /// Scored candidate pairs by match weight: bin k counts weights in
    /// [histogramLow + k·histogramStep, … + histogramStep), the ends open.
    public var weightHistogram: [Int] = Array(repeating: 0, count: LinkStats.histogramBins)
    public static let histogramLow = -30.0, histogramStep = 2.0, histogramBins = 40
    @inline(__always) static func bin(of w: Double) -> Int {
        let x = (w - histogramLow) / histogramStep
        return x.isNaN || x < 0 ? 0 : x >= Double(histogramBins) ? histogramBins - 1 : Int(x)
    }
    /// Estimated m and u per comparison level, for the report.
    public var parameters: [(field: String, level: String, m: Double, u: Double)] = []
}

public struct LinkResult: Sendable {
    /// Cluster number per record: clusters numbered in order of their first record.
    public var cluster: [Int32]
    public var clusterCount: Int
    public var edges: [LinkEdge]
    /// Pairs for a person to decide: probabilistic pairs between the
    /// thresholds, pairs a guard refused, and records sharing an id whose
    /// names and dob disagree (rule ≥ 0: "same id, different child?").
    public var review: [LinkEdge]
    public var stats: LinkStats
}

/// Union–find over records that refuses a union which would give one cluster
/// two different values of a guard identifier (two valid NHS numbers).
struct GuardedUnionFind {
    var parent: [Int32]
    var rank: [UInt8]
    var guards: [[UInt64]]

    init(count: Int, guards: [[UInt64]]) {
        parent = (0..<count).map { Int32($0) }
        rank = Array(repeating: 0, count: count)
        self.guards = guards
    }

    mutating func find(_ x: Int32) -> Int32 {
        var r = x
        while parent[Int(r)] != r { r = parent[Int(r)] }
        var c = x
        while parent[Int(c)] != r { let n = parent[Int(c)]; parent[Int(c)] = r; c = n }
        return r
    }

    /// Every record's root as the joins stand now: a table the workers
    /// read, where each calling `find` on its own copy would copy the
    /// parents the first time it compressed a path.
    mutating func roots() -> [Int32] {
        for i in parent.indices { _ = find(Int32(i)) }
        return parent
    }

    /// Decided non-matches: the sides each cluster holds, by root (k for
    /// the first record of decision k, ~k for the second).
    var apart: [Int32: [Int32]] = [:]

    enum Outcome { case merged, same, refused, keptApart }

    /// Records `a` and `b` are never to be in one cluster (call before any union).
    mutating func keepApart(_ a: Int32, _ b: Int32, decision k: Int32) {
        apart[find(a), default: []].append(k)
        apart[find(b), default: []].append(~k)
    }

    /// `overridingGuards`: a person decided the two are one child (two NHS
    /// numbers for one child happen: a duplicate registration). The cluster
    /// then holds no guard value, so neither number refuses it later.
    mutating func union(_ a: Int32, _ b: Int32, overridingGuards: Bool = false) -> Outcome {
        let ra = find(a), rb = find(b)
        if ra == rb { return .same }
        var mixed = false
        for g in guards.indices {
            let va = guards[g][Int(ra)], vb = guards[g][Int(rb)]
            if va != 0 && vb != 0 && va != vb {
                if !overridingGuards { return .refused }
                mixed = true
            }
        }
        if !apart.isEmpty, let sa = apart[ra], let sb = apart[rb], sa.contains(where: { sb.contains(~$0) }) { return .keptApart }
        var (hi, lo) = (ra, rb)
        if rank[Int(hi)] < rank[Int(lo)] { swap(&hi, &lo) }
        parent[Int(lo)] = hi
        if rank[Int(hi)] == rank[Int(lo)] { rank[Int(hi)] += 1 }
        for g in guards.indices where guards[g][Int(hi)] == 0 { guards[g][Int(hi)] = guards[g][Int(lo)] }
        if mixed { for g in guards.indices { guards[g][Int(hi)] = 0 } }
        if !apart.isEmpty, let moved = apart.removeValue(forKey: lo) { apart[hi, default: []].append(contentsOf: moved) }
        return .merged
    }
}

/// Splits records into people: deterministic rules, then Fellegi–Sunter
/// scoring of blocked candidate pairs, then guarded clustering (best pairs
/// first). Pure and deterministic: the same records give the same result.
public struct PersonLinker: Sendable {
    public let settings: LinkageSettings
    public init(settings: LinkageSettings) { self.settings = settings }

    /// `carried`: pairs of records linked on an earlier night; they are
    /// joined last, so yesterday's clusters survive whatever tonight shows.
    /// `decisions`: pairs a person decided, which stand whatever the scores.
    public func link(_ records: PersonRecords, carried: [(Int32, Int32)] = [], decisions: PairDecisions = PairDecisions(),
                     jobs: Int = 2) -> LinkResult {
        let n = records.count
        var stats = LinkStats()
        stats.records = n
        stats.ruleNames = settings.deterministic.map(\.name)
        (stats.matchWeight, stats.reviewWeight) = (settings.matchWeight, settings.reviewWeight)
        let guardColumns = settings.guards.compactMap { g in settings.deterministic.firstIndex { $0.field == g } }.map { records.identifiers[$0] }
        var uf = GuardedUnionFind(count: n, guards: guardColumns)
        var edges: [LinkEdge] = []
        var review: [LinkEdge] = []
        let decided = applyDecisions(decisions, uf: &uf, edges: &edges, stats: &stats)

        // Grouping records by their details (profiles, which are what gets
        // compared) depends on no union: it runs on a worker while the
        // rules' first holders of each value are found, and joined in rule
        // and record order, here. The blocking keys depend only on the
        // profiles: the same worker goes on to them while this thread joins
        // the rules' records, trains the model and joins identical details,
        // all of which run on one core for the most part.
        let rules = settings.deterministic.count
        let profileTable = WorkerResult(onWorker: jobs > 1) { ProfileTable(records) }
        let blocking = WorkerResult(onWorker: jobs > 1) { [settings] in
            let profiles = profileTable.value
            return records.arena.withUnsafeBufferPointer { arena in
                BlockingKeys(settings: settings, records: records, profiles: profiles, arena: arena, jobs: max(1, jobs - 1))
            }
        }
        let firstHolders = concurrentMap(rules, jobs: max(1, jobs - 1)) { r in firstHolderOfValue(records.identifiers[r]) }
        let check = IdentityCheck(settings: settings)
        joinOnIdentifiers(firstHolders, check: check, records: records, uf: &uf, edges: &edges, review: &review, stats: &stats)
        let profiles = profileTable.value
        stats.profiles = profiles.count
        var model = records.arena.withUnsafeBufferPointer { arena in
            MatchModel(settings: settings, records: records, profiles: profiles, arena: arena, unionFind: &uf, stats: &stats, jobs: jobs)
        }
        let scoring = settings.training == .em ? trainedByEM(&model, blocks: blocking.value, profiles: profiles, records: records, jobs: jobs, stats: &stats) : self

        var candidates: [LinkEdge] = []
        records.arena.withUnsafeBufferPointer { arena in
            scoring.joinSameDetails(profiles, model: model, arena: arena, uf: &uf, edges: &edges, stats: &stats)
            candidates = scoring.scoreBlockedPairs(blocking.value, profiles: profiles, model: model, root: uf.roots(), arena: arena, jobs: jobs, stats: &stats)
        }
        scoring.joinCandidates(candidates, uf: &uf, edges: &edges, review: &review, stats: &stats)
        // Last, what earlier nights joined stays joined (after tonight's own
        // evidence, so the same inputs give the same links with or without
        // state), unless tonight's names and dob say two children.
        let carriedLimit = settings.deterministic.compactMap(\.contradictedBelow).max()
        stats.carriedRefused = joinSharing(carried, rule: LinkEdge.carried, limit: carriedLimit, check: check,
                                           records: records, uf: &uf, edges: &edges, stats: &stats).count
        review = review.filter { uf.find($0.a) != uf.find($0.b) && !decided.contains(pairKey($0.a, $0.b)) }

        let (cluster, count) = clusterNumbers(&uf, count: n)
        return LinkResult(cluster: cluster, clusterCount: count, edges: edges, review: review, stats: stats)
    }

    /// Each rule in turn joins the records sharing its value (each to the
    /// first holder, or to one that agrees); the conflicts go to review.
    private func joinOnIdentifiers(_ firstHolders: [[Int32]], check: IdentityCheck, records: PersonRecords, uf: inout GuardedUnionFind,
                                   edges: inout [LinkEdge], review: inout [LinkEdge], stats: inout LinkStats) {
        stats.idConflicts = Array(repeating: 0, count: firstHolders.count)
        for (r, first) in firstHolders.enumerated() {
            let sharing = first.indices.lazy.filter { first[$0] >= 0 }.map { (first[$0], Int32($0)) }
            let conflicts = joinSharing(sharing, rule: Int16(r), limit: settings.deterministic[r].contradictedBelow, check: check,
                                        records: records, uf: &uf, edges: &edges, stats: &stats)
            stats.idConflicts[r] = conflicts.count
            review.append(contentsOf: conflicts)
        }
    }

    /// The model's m and u by EM over the candidate pairs; with thresholds
    /// taken from the data (no probabilistic section), a pair is joined
    /// when it is more likely a match than not among the candidates:
    /// weight ≥ log2((1 − λ) / λ). Returns the linker to score with.
    private func trainedByEM(_ model: inout MatchModel, blocks: BlockingKeys, profiles: ProfileTable, records: PersonRecords,
                             jobs: Int, stats: inout LinkStats) -> PersonLinker {
        let patterns = records.arena.withUnsafeBufferPointer { model.levelPatterns(blocks, profiles: profiles, arena: $0, jobs: jobs) }
        let lambda = model.trainByEM(patterns, stats: &stats)
        guard settings.thresholdsFromData else { return self }
        var tuned = settings
        tuned.matchWeight = log2((1 - lambda) / lambda)
        tuned.reviewWeight = tuned.matchWeight - (settings.matchWeight - settings.reviewWeight)
        (stats.matchWeight, stats.reviewWeight) = (tuned.matchWeight, tuned.reviewWeight)
        return PersonLinker(settings: tuned)
    }

    /// Decided non-matches are set apart before any join; decided matches
    /// join first of all, through a guard too (only another decision can
    /// keep them apart). Returns every decided pair, to keep out of review.
    private func applyDecisions(_ decisions: PairDecisions, uf: inout GuardedUnionFind, edges: inout [LinkEdge],
                                stats: inout LinkStats) -> Set<UInt64> {
        var decided = Set<UInt64>()
        for (k, (a, b)) in decisions.nonMatches.enumerated() where a != b {
            uf.keepApart(a, b, decision: Int32(k))
            decided.insert(pairKey(a, b))
        }
        stats.decidedNonMatches = decisions.nonMatches.count
        for (a, b) in decisions.matches {
            decided.insert(pairKey(a, b))
            switch uf.union(a, b, overridingGuards: true) {
            case .merged: edges.append(LinkEdge(a: a, b: b, rule: LinkEdge.decided, weight: 0)); stats.decidedMatches += 1
            case .same: stats.decidedMatches += 1
            case .refused, .keptApart: stats.decidedMatchesRefused += 1
            }
        }
        return decided
    }

    /// Joins each pair (a record, and an earlier record sharing a value
    /// with it). With a limit, a pair whose names and dob weigh below it is
    /// not joined: the record joins another holder of the value that does
    /// agree, or leads a group of its own, and the pair is returned as a
    /// conflict ("same id, different child?"). So an id keyed for the wrong
    /// child cannot join two children, whichever of them came first.
    private func joinSharing<S: Sequence>(_ pairs: S, rule: Int16, limit: Double?, check: IdentityCheck, records: PersonRecords,
                                          uf: inout GuardedUnionFind, edges: inout [LinkEdge], stats: inout LinkStats) -> [LinkEdge]
    where S.Element == (Int32, Int32) {
        var conflicts: [LinkEdge] = []
        var leaders: [Int32: [Int32]] = [:]
        records.arena.withUnsafeBufferPointer { arena in
            for (first, i) in pairs {
                if uf.find(first) == uf.find(i) { continue }
                var holder = first
                if let limit, !check.agrees(Int(first), Int(i), records, arena: arena, limit: limit) {
                    guard let other = leaders[first]?.first(where: { check.agrees(Int($0), Int(i), records, arena: arena, limit: limit) }) else {
                        leaders[first, default: []].append(i)
                        let w = check.weight(Int(first), Int(i), records, arena: arena)
                        conflicts.append(LinkEdge(a: min(first, i), b: max(first, i), rule: rule, weight: Float(w)))
                        continue
                    }
                    holder = other
                }
                switch uf.union(holder, i) {
                case .merged: edges.append(LinkEdge(a: holder, b: i, rule: rule, weight: 0))
                case .refused: stats.refusedByGuard += 1
                case .keptApart: stats.keptApartByDecision += 1
                case .same: break
                }
            }
        }
        return conflicts
    }

    /// Scored pairs, best first: at or above the match weight joined, the
    /// rest (and those a guard refused) for review.
    private func joinCandidates(_ candidates: [LinkEdge], uf: inout GuardedUnionFind, edges: inout [LinkEdge],
                                review: inout [LinkEdge], stats: inout LinkStats) {
        let candidates = candidates.sorted { ($0.weight, $1.a, $1.b) > ($1.weight, $0.a, $0.b) }
        var seen = Set<UInt64>()
        for c in candidates {
            guard seen.insert(pairKey(c.a, c.b)).inserted else { continue }
            if Double(c.weight) >= settings.matchWeight {
                switch uf.union(c.a, c.b) {
                case .merged: edges.append(c)
                case .refused: stats.refusedByGuard += 1; review.append(c)
                case .keptApart: stats.keptApartByDecision += 1
                case .same: break
                }
            } else {
                review.append(c)
            }
        }
    }

    /// Identical details strong enough on their own join every record holding them.
    private func joinSameDetails(_ profiles: ProfileTable, model: MatchModel, arena: UnsafeBufferPointer<UInt8>,
                                 uf: inout GuardedUnionFind, edges: inout [LinkEdge], stats: inout LinkStats) {
        for p in 0..<profiles.count where profiles.memberCount(p) > 1 {
            let w = model.weight(p, p, arena: arena)
            guard w >= settings.matchWeight else { continue }
            let members = profiles.members(p)
            for k in 1..<members.count {
                switch uf.union(members[0], members[k]) {
                case .merged: edges.append(LinkEdge(a: members[0], b: members[k], rule: LinkEdge.sameDetails, weight: Float(w)))
                case .refused: stats.refusedByGuard += 1
                case .keptApart: stats.keptApartByDecision += 1
                case .same: break
                }
            }
        }
    }

    /// The blocked pairs of records not yet in one cluster, scored; those at
    /// or above the review weight are candidates. Each rule's blocks are
    /// searched in slices, so that the workers finish together; the slices'
    /// finds, in order, are the rule's.
    private func scoreBlockedPairs(_ blocks: BlockingKeys, profiles: ProfileTable, model: MatchModel, root: [Int32],
                                   arena: UnsafeBufferPointer<UInt8>, jobs: Int, stats: inout LinkStats) -> [LinkEdge] {
        let shared = ReadOnlyBytes(buffer: arena)
        let reviewWeight = settings.reviewWeight
        let slices = jobs > 1 ? 4 * jobs : 1
        let perSlice = concurrentMap(blocks.rules * slices, jobs: jobs) { task -> ([LinkEdge], Int, [Int]) in
            let rule = task / slices
            var found: [LinkEdge] = []
            var pairs = 0
            var histogram = [Int](repeating: 0, count: LinkStats.histogramBins)
            blocks.forEachPair(rule: rule, in: blocks.slice(rule: rule, task % slices, of: slices)) { p, q in
                let a = profiles.representative[p], b = profiles.representative[q]
                if root[Int(a)] == root[Int(b)] { return }
                pairs += 1
                let w = model.weight(p, q, arena: shared.buffer)
                histogram[LinkStats.bin(of: w)] += 1
                if w >= reviewWeight { found.append(LinkEdge(a: min(a, b), b: max(a, b), rule: LinkEdge.probabilistic, weight: Float(w))) }
            }
            return (found, pairs, histogram)
        }
        var candidates: [LinkEdge] = []
        for rule in 0..<blocks.rules {
            var pairs = 0
            for (found, inSlice, histogram) in perSlice[rule * slices ..< (rule + 1) * slices] {
                candidates.append(contentsOf: found)
                pairs += inSlice
                for k in histogram.indices { stats.weightHistogram[k] += histogram[k] }
            }
            stats.candidatePairs += pairs
            stats.pairsPerRule.append(pairs)
        }
        return candidates
    }

    /// Clusters numbered in order of their first record.
    private func clusterNumbers(_ uf: inout GuardedUnionFind, count n: Int) -> ([Int32], Int) {
        var number = [Int32](repeating: -1, count: n)
        var cluster = [Int32](repeating: 0, count: n)
        var next: Int32 = 0
        for i in 0..<n {
            let r = Int(uf.find(Int32(i)))
            if number[r] < 0 { number[r] = next; next += 1 }
            cluster[i] = number[r]
        }
        return (cluster, Int(next))
    }
}

/// One number for a pair of records, whichever way round.
@inline(__always) func pairKey(_ a: Int32, _ b: Int32) -> UInt64 {
    UInt64(UInt32(min(a, b))) << 32 | UInt64(UInt32(max(a, b)))
}

/// For each record, the first record before it with the same identifier
/// value (-1: none, or no value).
func firstHolderOfValue(_ column: [UInt64]) -> [Int32] {
    let n = column.count
    var first = HashIndex(capacity: n / 2)
    var holder = [Int32](repeating: -1, count: n)
    for i in 0..<n where column[i] != 0 {
        if i + 8 < n { first.prefetch(column[i + 8]) }
        if let f = first.insert(column[i], row: i) { holder[i] = Int32(f) }
    }
    return holder
}

/// Records grouped by identical details (forename, surname, dob, sex,
/// postcode); each group compared once.
struct ProfileTable: @unchecked Sendable {
    let representative: [Int32]
    let groups: Grouping
    var count: Int { representative.count }

    init(_ r: PersonRecords) {
        var index = HashIndex(capacity: r.count / 4)  // grows: many records share details
        var profileOf = [Int32](repeating: 0, count: r.count)
        var representative: [Int32] = []
        r.arena.withUnsafeBufferPointer { arena in
            for i in 0..<r.count {
                var h = spanHash(arena, r.forename[i], seed: 1)
                h = mixHash(h ^ spanHash(arena, r.surname[i], seed: 2))
                h = mixHash(h ^ spanHash(arena, r.postcode[i], seed: 3))
                h = mixHash(h ^ UInt64(UInt32(bitPattern: r.dob[i])) ^ UInt64(r.sex[i]) << 40)
                for k in r.extra.indices { h = mixHash(h ^ spanHash(arena, r.extra[k][i], seed: 20 &+ UInt64(k))) }
                let (p, isNew) = index.number(h)
                profileOf[i] = Int32(p)
                if isNew { representative.append(Int32(i)) }
            }
        }
        self.representative = representative
        groups = Grouping(keys: profileOf, keyCount: representative.count)
    }

    func memberCount(_ p: Int) -> Int { groups.members(p).count }
    func members(_ p: Int) -> [Int32] { Array(groups.members(p)) }
}

/// Items 0..<keys.count grouped by their key (0..<keyCount) with a counting
/// sort: one array for all the groups, each group's items in item order.
struct Grouping: Sendable {
    private let starts: [Int32]
    private let items: [Int32]

    init(keys: [Int32], keyCount: Int) {
        var starts = [Int32](repeating: 0, count: keyCount + 1)
        for k in keys { starts[Int(k) + 1] += 1 }
        for k in 0..<keyCount { starts[k + 1] += starts[k] }
        var fill = starts
        var items = [Int32](repeating: 0, count: keys.count)
        for (i, k) in keys.enumerated() {
            items[Int(fill[Int(k)])] = Int32(i)
            fill[Int(k)] += 1
        }
        self.starts = starts
        self.items = items
    }

    func members(_ key: Int) -> ArraySlice<Int32> { items[Int(starts[key])..<Int(starts[key + 1])] }
}

@inline(__always) func spanHash(_ arena: UnsafeBufferPointer<UInt8>, _ s: PersonRecords.Span, seed: UInt64) -> UInt64 {
    identifierHash(spanBytes(arena, s), seed: seed)
}

@inline(__always) func spanBytes(_ arena: UnsafeBufferPointer<UInt8>, _ s: PersonRecords.Span) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: arena.baseAddress.map { $0 + Int(s.offset) }, count: Int(s.count))
}

/// Bytes that no one writes while workers read them (the record arena
/// during scoring).
struct ReadOnlyBytes: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
}
