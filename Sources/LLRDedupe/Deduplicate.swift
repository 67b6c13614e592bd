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
    public var link = LinkStats()
    public var newPersons = 0
    public var aliases = 0
    public var problems: [String] = []
    public var seconds: [(String, Double)] = []
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

/// Lineage statuses (spec §4).
enum RowStatus: String {
    case kept, merged, duplicate, superseded, rejected
}

/// Spec §5 in order over normalised returns: exact duplicates (from the
/// normaliser), resubmissions, spells across quarters, person linkage,
/// cross-agency events; then the aligned outputs, each written under a
/// temporary name and renamed into place.
public func deduplicate(_ inputs: [NormalisedReturn], pipelines: Pipelines, linkage: LinkageSettings,
                        pseudonyms: Pseudonymiser, options: DedupeOptions) throws(DedupeFailure) -> DedupeSummary {
    var summary = DedupeSummary()
    var clock = StageClock()
    func lap(_ name: String) {
        clock.lap(name)
        summary.seconds = clock.laps
    }
    summary.returns = inputs.count
    // Earlier nights' decisions are read (a few hundred thousand strings at
    // a million rows) on a worker while the returns are read and the spells found.
    let stateLoad = options.statePath.map { path in
        WorkerResult(onWorker: options.jobs > 1) { () -> StateLoad in
            do throws(SQLiteError) { return .loaded(StateBox(try LinkageState(path: path))) } catch { return .failed(error.description) }
        }
    }

    // 2. Resubmissions: the highest version of a partner's quarter replaces the rest whole.
    var latest: [String: Int] = [:]
    for r in inputs {
        let k = r.name.partner + "|" + r.name.quarter.fileToken
        latest[k] = max(latest[k] ?? 0, r.name.version)
    }
    let ordered = inputs.sorted { ($0.name.partner, $0.name.quarter, $0.name.version) < ($1.name.partner, $1.name.quarter, $1.name.version) }
    let active = ordered.map { latest[$0.name.partner + "|" + $0.name.quarter.fileToken] == $0.name.version }

    var typeIndex: [String: Int16] = [:]
    for (i, t) in pipelines.mappings.canonicalEventTypes.enumerated() { typeIndex[t] = Int16(i) }
    let types = typeIndex
    let loaded = concurrentMap(ordered.count, jobs: options.jobs) { i in LoadedReturn(ordered[i], eventTypes: types, superseded: !active[i]) }
    for l in loaded { summary.problems.append(contentsOf: l.problems) }
    summary.supersededReturns = zip(loaded, active).filter { !$0.1 }.map { $0.0.source.sourceFile }
    lap("read")

    let (rowReturn, rowIndex, firstRow) = globalRowNumbers(loaded, active: active)
    let n = rowReturn.count
    @inline(__always) func row(_ g: Int) -> LoadedRow { loaded[Int(rowReturn[g])].rows[Int(rowIndex[g])] }
    @inline(__always) func ret(_ g: Int) -> LoadedReturn { loaded[Int(rowReturn[g])] }
    let returnQuarter = loaded.map { $0.source.name.quarter }

    // 3. Spells: the same partner and record key in several quarters is one record; the latest quarter wins.
    // Sized for every row to be its own record, so slots never move.
    var spellWinner = HashIndex(capacity: n)
    var spellOf = [Int32](repeating: 0, count: n)
    let keys = concurrentMapInChunks(n, jobs: options.jobs) { [loaded, rowReturn, rowIndex] g in
        let l = loaded[Int(rowReturn[g])]
        return recordKey(l, l.rows[Int(rowIndex[g])])
    }
    let memberKeys = concurrentMapInChunks(n, jobs: options.jobs) { [loaded, rowReturn, rowIndex] g in
        let l = loaded[Int(rowReturn[g])]
        return identifierHash(l.bytes(l.rows[Int(rowIndex[g])].ownId), seed: l.partnerSeed)
    }
    // The state remembers source persons by a keyed pseudonym of partner +
    // own id: each distinct member once, in order of its first row. The
    // members are numbered, and their pseudonyms made, on a worker while
    // this thread finds the spells and copies the records' details for the
    // linkage (numbering alone had left the second core idle, and so had
    // the spells, on one core, until the numbering started before them).
    let members = WorkerResult(onWorker: options.jobs > 1) { [loaded, rowReturn, rowIndex] () -> MemberNumbers in
        var firstRows: [Int32] = []
        var memberOf = [Int32](repeating: 0, count: n)
        // Grown as members appear: a person has several rows, so sizing it for
        // every row would hold hundreds of megabytes at ten million.
        var memberIndex = HashIndex(capacity: n / 4)
        for g in 0..<n {
            if g + 8 < n { memberIndex.prefetch(memberKeys[g + 8]) }
            let (m, isNew) = memberIndex.number(memberKeys[g])
            memberOf[g] = Int32(m)
            if isNew { firstRows.append(Int32(g)) }
        }
        memberIndex = HashIndex()
        var id: [UInt8] = []
        let names = firstRows.map { g32 in
            let g = Int(g32), l = loaded[Int(rowReturn[g])]
            id.removeAll(keepingCapacity: true)
            l.appendId("member", of: l.rows[Int(rowIndex[g])].ownId, pseudonyms, to: &id)
            return String(decoding: id, as: UTF8.self)
        }
        return MemberNumbers(memberOf: memberOf, firstRows: firstRows, names: names)
    }
    for g in 0..<n {
        if g + 8 < n { spellWinner.prefetch(keys[g + 8]) }
        let (slot, inserted) = spellWinner.slot(keys[g], insertingRow: g)
        if !inserted {
            let w = spellWinner.row(atSlot: slot)
            if (returnQuarter[Int(rowReturn[g])], rowReturn[g]) > (returnQuarter[Int(rowReturn[w])], rowReturn[w]) { spellWinner.setRow(g, atSlot: slot) }
        }
    }
    for g in 0..<n {
        if g + 8 < n { spellWinner.prefetch(keys[g + 8]) }
        spellOf[g] = Int32(spellWinner.row(of: keys[g])!)
    }
    spellWinner = HashIndex()  // the big tables of one step are let go before the next step's are built

    // An event's id is keyed on its spell's winning row. Every winner's id is
    // made on a worker of its own while the linkage below runs, mostly on one
    // core (the few winners a cross-agency match later folds into another
    // event are made and not used).
    let winners = (0..<n).filter { spellOf[$0] == Int32($0) }
    let winnerIds = WorkerResult(onWorker: options.jobs > 1) { [loaded, rowReturn, rowIndex] in
        var run: [UInt8] = []
        run.reserveCapacity(winners.count * Pseudonymiser.idLength)
        for g in winners {
            let l = loaded[Int(rowReturn[g])]
            l.appendId("event", of: l.rows[Int(rowIndex[g])].sourceKey, pseudonyms, to: &run)
        }
        return run
    }
    lap("spells")

    // 4. Person linkage.
    var records: PersonRecords! = PersonRecords(identifierColumns: linkage.deterministic.count, capacity: n)
    // Each deterministic rule's field and placeholder values, found once
    // rather than by name on every row.
    let ruleFields = linkage.deterministic.map { IdentifierField($0) }
    for g in 0..<n {
        let l = ret(g), r = row(g)
        let partnerSeed = l.partnerSeed
        let buf = l.bytes
        records.append(forename: buf(r.forename), surname: buf(r.surname), dob: buf(r.dob), sex: r.sex, postcode: buf(r.postcode)) { i in
            ruleFields[i].hash(r, buf, partnerSeed: partnerSeed)
        }
    }
    // Members are known by number from here on.
    let numbered = members.value
    let (memberOf, distinctMembers, names) = (numbered.memberOf, numbered.firstRows, numbered.names)
    @inline(__always) func memberName(_ g: Int) -> String { names[Int(memberOf[g])] }

    let stateBox: StateBox?
    switch stateLoad?.value {
    case .some(.loaded(let box)): stateBox = box
    case .some(.failed(let message)):
        throw DedupeFailure(description: "the linkage state \(options.statePath ?? "") cannot be used: \(message). Restore it from the last backup of the state folder: without it every child would be given a new id")
    case .none: stateBox = nil
    }
    let state = stateBox?.state
    // The person id each source person had on earlier nights, looked up once
    // (on the workers, the state only read) and numbered in order of the
    // members that had them, so the passes over every row below index
    // arrays instead of hashing id strings.
    var priorIds: [String] = []
    var priorOf = [Int32](repeating: -1, count: names.count)
    if let box = stateBox {
        let earlier = concurrentMapInChunks(names.count, jobs: options.jobs) { [names] m in box.state.personId(ofMember: names[m]) }
        var numberOf: [String: Int32] = [:]
        for (m, found) in earlier.enumerated() {
            guard let id = found else { continue }
            if let k = numberOf[id] { priorOf[m] = k; continue }
            numberOf[id] = Int32(priorIds.count)
            priorOf[m] = Int32(priorIds.count)
            priorIds.append(id)
        }
    }
    var carried: [(Int32, Int32)] = []
    var firstOfPerson = [Int32](repeating: -1, count: priorIds.count)
    for g in 0..<n {
        let k = Int(priorOf[Int(memberOf[g])])
        guard k >= 0 else { continue }
        if firstOfPerson[k] >= 0 { carried.append((firstOfPerson[k], Int32(g))) } else { firstOfPerson[k] = Int32(g) }
    }
    lap("prepare linkage")
    let result = PersonLinker(settings: linkage).link(records, carried: carried, jobs: options.jobs)
    records = nil  // the comparison copies of every name (a tenth of the peak) are not needed to write
    summary.link = result.stats
    lap("link")

    // 5. Cross-agency events (the same child's episode reported by two
    // families) need only the clusters: matched on a worker while this
    // thread gives the clusters their person ids.
    let crossAgencyEvents = WorkerResult(onWorker: options.jobs > 1) { [loaded, rowReturn, rowIndex, spellOf, typeIndex] in
        matchCrossAgencyEvents(loaded, rowReturn: rowReturn, rowIndex: rowIndex, spellOf: spellOf, cluster: result.cluster,
                               typeIndex: typeIndex, rules: linkage.eventMatching)
    }

    // Person ids: a cluster keeps the oldest id any of its members had; other ids become aliases.
    // Each cluster's rows, in row order (one array, not one per cluster).
    let clusterRows = Grouping(keys: result.cluster, keyCount: result.clusterCount)
    func clusterMembers(_ c: Int) -> ArraySlice<Int32> { clusterRows.members(c) }
    var personId = [String](repeating: "", count: result.clusterCount)
    var newPersons: [String] = [], newAliases: [(String, String)] = []
    // An earlier id goes to the cluster holding most of the records that had it: when a
    // partner's id turns out to cover two children, the id cannot end up on both.
    // (Ties go to the lowest cluster number.) Holdings are counted from
    // (earlier id, cluster) pairs packed and sorted, one per record.
    var holdings: [UInt64] = []
    for c in 0..<result.clusterCount {
        for g in clusterMembers(c) {
            let k = priorOf[Int(memberOf[Int(g)])]
            if k >= 0 { holdings.append(PackedOrder.pair(k, UInt32(c))) }
        }
    }
    var knownOf = [[String]](repeating: [], count: result.clusterCount)
    for (k, owner) in keepersOfEarlierIds(holdings) { knownOf[owner].append(priorIds[k]) }
    // A new child: the id comes from the earliest record (quarter first), so
    // adding later quarters keeps it. (Quarter, then member pseudonym: names
    // are compared only on a tie.) Each cluster's on its own, on the workers.
    let unknown = knownOf.map(\.isEmpty)
    let anchorOf = concurrentMapInChunks(result.clusterCount, jobs: options.jobs) { [clusterRows, returnQuarter, rowReturn, memberOf, names] c -> Int32 in
        guard unknown[c] else { return -1 }
        var anchor = -1
        for g32 in clusterRows.members(c) {
            let g = Int(g32)
            if anchor < 0 { anchor = g; continue }
            let q = returnQuarter[Int(rowReturn[g])], best = returnQuarter[Int(rowReturn[anchor])]
            if q < best || (q == best && memberOf[g] != memberOf[anchor] && names[Int(memberOf[g])] < names[Int(memberOf[anchor])]) { anchor = g }
        }
        return Int32(anchor)
    }
    var taken = Set<String>()
    for c in 0..<result.clusterCount {
        let known = knownOf[c]
        if let survivor = known.min(by: { (state!.created[$0] ?? Int.max, $0) < (state!.created[$1] ?? Int.max, $1) }) {
            personId[c] = survivor
            taken.insert(survivor)
            for other in known where other != survivor { newAliases.append((other, survivor)) }
        }
    }
    let fresh = (0..<result.clusterCount).filter { anchorOf[$0] >= 0 }
    let anchors = fresh.map { memberName(Int(anchorOf[$0])) }
    let freshIds = concurrentMapInChunks(fresh.count, jobs: options.jobs) { i in pseudonyms.id("person", Array(anchors[i].utf8)) }
    // Sized once: growing a set of a million ids rehashed it a dozen times, on one core.
    taken.reserveCapacity(taken.count + fresh.count)
    newPersons.reserveCapacity(fresh.count)
    for (i, c) in fresh.enumerated() {
        // Two children whose earliest records share a partner's id (one id reused for two
        // children) would get one pseudonym: the later cluster takes the next one in turn.
        var id = freshIds[i], turn = 1
        while !taken.insert(id).inserted {
            turn += 1
            id = pseudonyms.id("person", Array((anchors[i] + "#\(turn)").utf8))
        }
        personId[c] = id
        // New only if no earlier night gave it: the second of two children
        // sharing a partner's id gets the same next-in-turn id every night.
        if state?.created[id] == nil { newPersons.append(id) }
    }
    summary.newPersons = newPersons.count
    summary.aliases = newAliases.count
    summary.persons = result.clusterCount

    let crossAgency = crossAgencyEvents.value
    summary.problems.append(contentsOf: crossAgency.problems)
    summary.crossAgencyMatches = crossAgency.matches
    let owner = crossAgency.owner
    lap("events")

    // Event ids: each owning row's, made above as a spell winner's.
    let owners = (0..<n).filter { owner[$0] == Int32($0) }
    var eventIds = IdColumn()
    do {
        var slotOfWinner = [Int32](repeating: -1, count: n)
        for (i, g) in winners.enumerated() { slotOfWinner[g] = Int32(i) }
        let width = Pseudonymiser.idLength
        var run = [UInt8](repeating: 0, count: owners.count * width)
        winnerIds.value.withUnsafeBufferPointer { all in
            run.withUnsafeMutableBufferPointer { out in
                for (i, g) in owners.enumerated() {
                    let w = Int(slotOfWinner[g])
                    precondition(w >= 0, "an event's owner is always a spell winner")
                    (out.baseAddress! + i * width).update(from: all.baseAddress! + w * width, count: width)
                }
            }
        }
        eventIds.append(fixedWidth: width, run)
    }
    var slotOfOwner = [Int32](repeating: -1, count: n)
    for (i, g) in owners.enumerated() { slotOfOwner[g] = Int32(i) }
    let eventSlot = (0..<n).map { slotOfOwner[Int(owner[$0])] }
    summary.events = owners.count
    lap("ids")

    let context = OutputContext(loaded: loaded, active: active, rowReturn: rowReturn, rowIndex: rowIndex, firstRow: firstRow,
                                recordKeys: keys, owner: owner,
                                eventIds: eventIds, eventSlot: eventSlot, cluster: result.cluster, personId: personId,
                                personIds: IdColumn(personId), linkage: linkage)
    // The linkage state is saved on its own worker while the outputs are
    // written (before them, on this thread, when the run is kept to one
    // core); its value is the failure, if any.
    let saving = stateBox.map { box in
        let members = names.indices.map { i in (names[i], personId[Int(result.cluster[Int(distinctMembers[i])])]) }
        let persons = result.clusterCount, created = newPersons, aliases = newAliases
        return WorkerResult(onWorker: options.jobs > 1) { () -> String? in
            do { try box.state.save(members: members, newPersons: created, newAliases: aliases, records: n, persons: persons) } catch {
                return "\(error)"
            }
            return nil
        }
    }
    do {
        try writeOutputs(context, result: result, memberOf: memberOf, outDir: options.outDir, jobs: options.jobs,
                         plainCopies: options.plainCopies, summary: &summary)
    } catch {
        _ = saving?.value
        throw DedupeFailure(description: "writing the outputs failed: \(error)")
    }
    let saveFailure = saving?.value ?? nil
    lap(state == nil ? "write" : "write + state")
    if let failure = saveFailure {
        throw DedupeFailure(description: "saving the linkage state failed (outputs were written; the next run repeats this one): \(failure)")
    }
    return summary
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
private struct IdentifierField {
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
