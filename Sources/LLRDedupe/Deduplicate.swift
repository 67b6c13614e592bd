import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct DedupeOptions: Sendable {
    public var outDir: String
    public var statePath: String?
    public var jobs: Int
    /// Outputs also written uncompressed, by file name (`events.csv.gz`,
    /// `persons.csv.gz`), to the path given: the merge's published extract.
    public var plainCopies: [String: String]
    public init(outDir: String, statePath: String? = nil, jobs: Int = 2, plainCopies: [String: String] = [:]) {
        self.outDir = outDir
        self.statePath = statePath
        self.jobs = jobs
        self.plainCopies = plainCopies
    }
}

/// What one deduplication run did, for the summary and the tests.
public struct DedupeSummary: Sendable {
    public var returns = 0
    public var supersededReturns: [String] = []
    public var rowsReceived = 0
    /// The files the lineage names, in its order (by name), each with its
    /// partner: llr.sqlite numbers them 1, 2, … for its lineage and links.
    public var lineageFiles: [LineageFile] = []
    public var status: [String: Int] = [:]
    public var events = 0
    public var persons = 0
    public var crossAgencyMatches = 0
    public var review = 0
    /// Review pairs by reason (review.csv's words).
    public var reviewByReason: [(reason: String, pairs: Int)] = []
    /// Records sharing an identifier with a record of another child (names
    /// and dob disagree), still apart tonight: each partner's to put right.
    public var idConflicts: [IdConflict] = []
    public var link = LinkStats()
    /// Every decision in force, and what became of it tonight.
    public var decisions: [DecisionOutcome] = []
    public var newPersons = 0
    public var aliases = 0
    public var problems: [String] = []
    public var seconds: [(String, Double)] = []
}

/// One side of a "same id, different child?" pair: the row, the field
/// they share, and the other record.
public struct IdConflict: Sendable, Equatable {
    public var partner: String
    public var sourceFile: String
    public var sourceRow: Int
    public var field: String
    public var otherPartner: String
    public var otherFile: String
    public var otherRow: Int
}

/// A source file named in the lineage, and its partner.
public struct LineageFile: Sendable, Equatable {
    public var sourceFile: String
    public var partner: String
    public init(sourceFile: String, partner: String) { self.sourceFile = sourceFile; self.partner = partner }
}

public struct DedupeFailure: Error, CustomStringConvertible {
    public var description: String
}

/// Which cluster keeps each earlier night's id: the one holding most of the
/// records that had it, the lowest-numbered on a tie. `holdings` has one
/// `id number << 32 | cluster` per record, in any order; the answer is in
/// id-number order.
func keepersOfEarlierIds(_ holdings: [UInt64]) -> [(id: Int, cluster: Int)] {
    let sorted = holdings.sorted()
    var keepers: [(id: Int, cluster: Int)] = []
    var next = 0
    while next < sorted.count {
        let k = sorted[next] >> 32
        var owner = -1, most = 0
        while next < sorted.count && sorted[next] >> 32 == k {
            let pair = sorted[next]
            var count = 0
            while next < sorted.count && sorted[next] == pair { count += 1; next += 1 }
            if count > most { most = count; owner = Int(pair & 0xFFFF_FFFF) }
        }
        keepers.append((Int(k), owner))
    }
    return keepers
}

/// What became of a source row, as the lineage says (contract §4).
public enum RowStatus: String, Sendable, CaseIterable {
    case kept, merged, duplicate, superseded, rejected
    /// An accepted row that is not an event (a commentary return's), kept as it came.
    case statement
}

/// Spec §5 in order over normalised returns: exact duplicates (from the
/// normaliser), resubmissions, spells across quarters, person linkage,
/// cross-agency events; then the ids and the aligned outputs, each written
/// under a temporary name and renamed into place. Each step is a function
/// named for it, under `Steps/`.
public func deduplicate(_ inputs: [NormalisedReturn], pipelines: Pipelines, linkage: LinkageSettings,
                        pseudonyms: Pseudonymiser, options: DedupeOptions) throws(DedupeFailure) -> DedupeSummary {
    var run = DedupeRun(options: options, pseudonyms: pseudonyms)
    run.summary.returns = inputs.count
    // Earlier nights' decisions are read (a few hundred thousand strings at
    // a million rows) on a worker while the returns are read and the spells found.
    let stateLoad = options.statePath.map { path in
        WorkerResult(onWorker: options.jobs > 1) { () -> StateLoad in
            do throws(SQLiteError) { return .loaded(StateBox(try LinkageState(path: path))) } catch { return .failed(error.description) }
        }
    }
    let rows = applyResubmissions(inputs, pipelines: pipelines, run: &run)
    let spells = joinSpellsAcrossQuarters(rows, run: &run)
    let (persons, state) = try linkPersons(rows, spells: spells, stateLoad: stateLoad, linkage: linkage, run: &run)
    // Cross-agency events need only the clusters: matched on a worker while
    // this thread gives the clusters their person ids.
    let events = WorkerResult(onWorker: options.jobs > 1) { [rows, spellOf = spells.spellOf, cluster = persons.link.cluster] in
        matchCrossAgencyEvents(rows.loaded, rowReturn: rows.rowReturn, rowIndex: rows.rowIndex, spellOf: spellOf, cluster: cluster,
                               typeIndex: rows.typeIndex, rules: linkage.eventMatching)
    }
    let ids = givePersonIds(rows, persons: persons, state: state?.state, run: &run)
    let crossAgency = events.value
    run.summary.problems.append(contentsOf: crossAgency.problems)
    run.summary.crossAgencyMatches = crossAgency.matches
    run.lap("events")
    let eventIds = giveEventIds(rows, spells: spells, owner: crossAgency.owner, run: &run)
    try writeAligned(rows, spells: spells, persons: persons, ids: ids, events: eventIds, owner: crossAgency.owner,
                     state: state, linkage: linkage, run: &run)
    return run.summary
}

/// What every step of one deduplication shares: its options, the summary
/// it fills in, and the clock of its steps.
struct DedupeRun {
    let options: DedupeOptions
    let pseudonyms: Pseudonymiser
    var summary = DedupeSummary()
    private var clock = StageClock()

    init(options: DedupeOptions, pseudonyms: Pseudonymiser) {
        self.options = options
        self.pseudonyms = pseudonyms
    }

    mutating func lap(_ name: String) {
        clock.lap(name)
        summary.seconds = clock.laps
    }
}

/// Numbers the accepted rows of the active returns 0..<n: each row's return
/// and index in it, and the first number of each active return.
func globalRowNumbers(_ loaded: [LoadedReturn], active: [Bool]) -> (rowReturn: [Int32], rowIndex: [Int32], firstRow: [Int]) {
    var rowReturn: [Int32] = [], rowIndex: [Int32] = []
    var firstRow = [Int](repeating: 0, count: loaded.count)
    for (ri, l) in loaded.enumerated() where active[ri] {
        firstRow[ri] = rowReturn.count
        for k in l.rows.indices { rowReturn.append(Int32(ri)); rowIndex.append(Int32(k)) }
    }
    return (rowReturn, rowIndex, firstRow)
}

/// Where a deterministic rule's value is in a row, and the placeholder
/// values that identify no one.
struct IdentifierField {
    let field: IdentifierColumn?
    let ignore: [[UInt8]]

    init(_ rule: DeterministicRule) {
        // The loader has checked the name against IdentifierColumn; nil only
        // for settings built by hand in a test.
        field = IdentifierColumn(rawValue: rule.field)
        ignore = Array(rule.ignore)
    }

    /// The value's hash (0: none); a person's own id is partner-local.
    @inline(__always) func hash(_ r: LoadedRow, _ buf: (ByteSpan) -> UnsafeBufferPointer<UInt8>, partnerSeed: UInt64) -> UInt64 {
        let value: UnsafeBufferPointer<UInt8>
        switch field {
        case .nhsNumber: value = buf(r.nhs)
        case .upn: value = buf(r.upn)
        case .personSourceId: value = buf(r.personSourceId)
        case nil: return 0
        }
        if ignore.contains(where: { $0.elementsEqual(value) }) { return 0 }
        return identifierHash(value, seed: field == .personSourceId ? partnerSeed : 0x5EED_1D5)
    }
}

/// Each row's owning event after the cross-agency matches: the same child's
/// episode reported by two families is one event, owned by the first
/// family's row. Returns the owners, the matches made and the rules that
/// could not be used.
func matchCrossAgencyEvents(_ loaded: [LoadedReturn], rowReturn: [Int32], rowIndex: [Int32], spellOf: [Int32], cluster: [Int32],
                            typeIndex: [String: Int16], rules: [EventMatchRule]) -> CrossAgencyEvents {
    let n = rowReturn.count
    @inline(__always) func row(_ g: Int) -> LoadedRow { loaded[Int(rowReturn[g])].rows[Int(rowIndex[g])] }
    var problems: [String] = [], matches = 0
    var owner = spellOf
    for rule in rules {
        guard let type = typeIndex[rule.eventType] else {
            problems.append("linkage.yaml: eventMatching names \(rule.eventType), which is not a canonical event type")
            continue
        }
        // Each return's part in the rule: 0 none, 1 the first family, 2 another.
        let role = loaded.map { l -> UInt8 in
            let family = l.source.name.family
            return family == rule.families[0] ? 1 : rule.families.contains(family) ? 2 : 0
        }
        // The rule's events as (person, row), grouped by person with rows in order.
        // Packed as (person << 32 | row): plain numbers sort fastest.
        var packed: [UInt64] = []
        for g in 0..<n where spellOf[g] == Int32(g) && role[Int(rowReturn[g])] != 0 {
            let r = row(g)
            guard r.eventType == type, r.start != Int32.min else { continue }
            packed.append(PackedOrder.pair(cluster[g], UInt32(g)))
        }
        packed.sort()
        let candidates = packed.map { (Int32(truncatingIfNeeded: $0 >> 32), Int32(truncatingIfNeeded: $0)) }
        var primaries: [Int32] = [], others: [Int32] = []
        var pairs: [(Int, Int, Int64, Int32, Int32)] = []
        var used = Set<Int32>()
        var next = 0
        while next < candidates.count {
            let person = candidates[next].0
            primaries.removeAll(keepingCapacity: true)
            others.removeAll(keepingCapacity: true)
            while next < candidates.count && candidates[next].0 == person {
                let g = candidates[next].1
                if role[Int(rowReturn[Int(g)])] == 1 { primaries.append(g) } else { others.append(g) }
                next += 1
            }
            if primaries.isEmpty || others.isEmpty { continue }
            // Closest pairs first, one partner each: the same end day first, then the same start
            // day, then the other family a day later (a council copy is dated the day it was
            // recorded), then a day earlier; minutes break ties.
            // A child known for years has many episodes: each primary looks
            // only at the others within the window, found by their start day.
            pairs.removeAll(keepingCapacity: true)
            others.sort { (row(Int($0)).start, $0) < (row(Int($1)).start, $1) }
            for p in primaries {
                let pStart = Int(row(Int(p)).start)
                var lo = 0, hi = others.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if Int(row(Int(others[mid])).start) < pStart - rule.windowDays { lo = mid + 1 } else { hi = mid }
                }
                for o in others[lo...] {
                    let days = Int(row(Int(o)).start) - pStart
                    if days > rule.windowDays { break }
                    let minutes = abs(Int64(row(Int(o)).startMinute) - Int64(row(Int(p)).startMinute))
                    let ends = row(Int(o)).end != Int32.min && row(Int(o)).end == row(Int(p)).end ? 0 : 1
                    pairs.append((ends, days >= 0 ? 2 * days : -2 * days + 1, minutes, p, o))
                }
            }
            // Every pair is distinct (p, o), so the order does not depend on the search.
            pairs.sort { $0 < $1 }
            used.removeAll(keepingCapacity: true)
            for (_, _, _, p, o) in pairs where !used.contains(p) && !used.contains(o) {
                used.insert(p); used.insert(o)
                owner[Int(o)] = p
                matches += 1
            }
        }
    }
    for g in 0..<n { owner[g] = owner[Int(spellOf[g])] }
    return CrossAgencyEvents(owner: owner, matches: matches, problems: problems)
}

struct CrossAgencyEvents: Sendable {
    let owner: [Int32]
    let matches: Int
    let problems: [String]
}

/// Each row's member (source person) by number, in order of first rows;
/// each member's first row and keyed pseudonym.
struct MemberNumbers: Sendable {
    let memberOf: [Int32]
    let firstRows: [Int32]
    let names: [String]
}

/// The linkage state as loaded on a worker, or why it could not be.
enum StateLoad: Sendable {
    case loaded(StateBox)
    case failed(String)
}

/// Hands the linkage state from the worker that loads it to this thread,
/// and on to the one that saves it (one at a time; the lookups of earlier
/// ids only read it).
final class StateBox: @unchecked Sendable {
    let state: LinkageState
    init(_ s: LinkageState) { state = s }
}
