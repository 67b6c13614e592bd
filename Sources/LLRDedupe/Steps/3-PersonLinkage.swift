import LLRCore

/// The person linkage's clusters, with the source persons behind them and
/// the ids they had on earlier nights.
struct LinkedPersons: Sendable {
    let link: LinkResult
    let members: MemberNumbers
    /// The earlier nights' person ids, numbered in order of the members
    /// that had them, and each member's (-1: none).
    let priorIds: [String]
    let priorOf: [Int32]
}

/// Contract §5 step 4, person linkage across partners: deterministic rules
/// first (valid NHS number, UPN, the partner's own id), then Fellegi–Sunter
/// scoring of the rest; earlier nights' clusters are carried in from the
/// linkage state. Returns the clusters and the state, once loaded.
func linkPersons(_ rows: ReceivedRows, spells: Spells, stateLoad: WorkerResult<StateLoad>?, linkage: LinkageSettings,
                 run: inout DedupeRun) throws(DedupeFailure) -> (LinkedPersons, StateBox?) {
    var records: PersonRecords! = personRecords(rows, linkage: linkage)
    // Members are known by number from here on.
    let members = spells.members.value
    let stateBox: StateBox?
    switch stateLoad?.value {
    case .some(.loaded(let box)): stateBox = box
    case .some(.failed(let message)):
        throw DedupeFailure(description: "the linkage state \(run.options.statePath ?? "") cannot be used: \(message). Restore it from the last backup of the state folder: without it every child would be given a new id")
    case .none: stateBox = nil
    }
    let (priorIds, priorOf) = earlierPersonIds(members.names, state: stateBox, jobs: run.options.jobs)
    let carried = carriedJoins(members.memberOf, priorOf: priorOf, priorCount: priorIds.count)
    let decisions: [ClericalDecision]
    do { decisions = try stateBox?.state.decisions() ?? [] } catch {
        throw DedupeFailure(description: "the linkage state's decisions cannot be read: \(error)")
    }
    let decided = decidedRecords(decisions, rows: rows, recordKeys: spells.keys)
    run.lap("prepare linkage")
    let result = PersonLinker(settings: linkage).link(records, carried: carried, decisions: decided.pairs, jobs: run.options.jobs)
    records = nil  // the comparison copies of every name (a tenth of the peak) are not needed to write
    run.summary.link = result.stats
    run.summary.decisions = decisionOutcomes(decisions, records: decided.records, cluster: result.cluster)
    run.lap("link")
    return (LinkedPersons(link: result, members: members, priorIds: priorIds, priorOf: priorOf), stateBox)
}

/// Each row's details for the comparisons, and each deterministic rule's
/// value hashed (each rule's field and placeholder values found once rather
/// than by name on every row).
private func personRecords(_ rows: ReceivedRows, linkage: LinkageSettings) -> PersonRecords {
    let n = rows.n
    let records = PersonRecords(identifierColumns: linkage.deterministic.count, capacity: n)
    let ruleFields = linkage.deterministic.map { IdentifierField($0) }
    for g in 0..<n {
        let l = rows.ret(g), r = rows.row(g)
        let partnerSeed = l.partnerSeed
        let buf = l.bytes
        records.append(forename: buf(r.forename), surname: buf(r.surname), dob: buf(r.dob), sex: r.sex, postcode: buf(r.postcode)) { i in
            ruleFields[i].hash(r, buf, partnerSeed: partnerSeed)
        }
    }
    return records
}

/// The person id each source person had on earlier nights, looked up once
/// (on the workers, the state only read) and numbered in order of the
/// members that had them, so the passes over every row index arrays
/// instead of hashing id strings.
private func earlierPersonIds(_ names: [String], state: StateBox?, jobs: Int) -> (ids: [String], of: [Int32]) {
    var priorIds: [String] = []
    var priorOf = [Int32](repeating: -1, count: names.count)
    guard let box = state else { return (priorIds, priorOf) }
    let earlier = concurrentMapInChunks(names.count, jobs: jobs) { m in box.state.personId(ofMember: names[m]) }
    var numberOf: [String: Int32] = [:]
    for (m, found) in earlier.enumerated() {
        guard let id = found else { continue }
        if let k = numberOf[id] { priorOf[m] = k; continue }
        numberOf[id] = Int32(priorIds.count)
        priorOf[m] = Int32(priorIds.count)
        priorIds.append(id)
    }
    return (priorIds, priorOf)
}

/// Rows that had one person id on earlier nights, joined again: each to the
/// first such row.
private func carriedJoins(_ memberOf: [Int32], priorOf: [Int32], priorCount: Int) -> [(Int32, Int32)] {
    var carried: [(Int32, Int32)] = []
    var firstOfPerson = [Int32](repeating: -1, count: priorCount)
    for g in memberOf.indices {
        let k = Int(priorOf[Int(memberOf[g])])
        guard k >= 0 else { continue }
        if firstOfPerson[k] >= 0 { carried.append((firstOfPerson[k], Int32(g))) } else { firstOfPerson[k] = Int32(g) }
    }
    return carried
}

/// The records each decision names (nil where a row is no longer in the
/// dataset), and the pairs for the linker. A row of a return a `_vN` has
/// since replaced is taken to be the replacement's row with its record key,
/// so a resubmission does not undo a decision.
private func decidedRecords(_ decisions: [ClericalDecision], rows: ReceivedRows, recordKeys: [UInt64]) -> (pairs: PairDecisions, records: [DecidedRecords?]) {
    guard !decisions.isEmpty else { return (PairDecisions(), []) }
    var finder = DecidedRowFinder(rows, recordKeys: recordKeys)
    var pairs = PairDecisions()
    var records: [DecidedRecords?] = []
    for d in decisions {
        guard let a = finder.record(d.fileA, d.rowA), let b = finder.record(d.fileB, d.rowB) else { records.append(nil); continue }
        records.append(DecidedRecords(a: a.record, b: b.record, throughResubmission: a.replaced || b.replaced))
        if d.verdict == .match { pairs.matches.append((a.record, b.record)) } else { pairs.nonMatches.append((a.record, b.record)) }
    }
    return (pairs, records)
}

/// The two records a decision names tonight.
private struct DecidedRecords {
    var a: Int32, b: Int32
    /// A row named was in a return a resubmission has replaced since.
    var throughResubmission: Bool
}

/// Finds a decided row among tonight's records: only the returns decisions
/// name are searched, and the record keys (the spells' own) are indexed
/// only when a decision names a replaced return.
private struct DecidedRowFinder {
    let rows: ReceivedRows
    let recordKeys: [UInt64]
    var returnOf: [String: Int] = [:]
    var rowsOf: [Int: RowsBySourceRow] = [:]
    /// Record key → the last record with it, as the lineage names a replaced row's successor.
    var lastWithKey: [UInt64: Int32]?

    init(_ rows: ReceivedRows, recordKeys: [UInt64]) {
        self.rows = rows
        self.recordKeys = recordKeys
        for (k, l) in rows.loaded.enumerated() { returnOf[l.source.sourceFile] = k }
    }

    mutating func record(_ file: String, _ row: Int) -> (record: Int32, replaced: Bool)? {
        guard let k = returnOf[file], let r = Int32(exactly: row) else { return nil }
        let l = rows.loaded[k]
        if rowsOf[k] == nil { rowsOf[k] = RowsBySourceRow(l.rows.map(\.sourceRow)) }
        guard let i = rowsOf[k]!.index(of: r) else { return nil }
        if rows.active[k] { return (Int32(rows.firstRow[k] + i), false) }
        if lastWithKey == nil {
            var map: [UInt64: Int32] = [:]
            for (g, key) in recordKeys.enumerated() { map[key] = Int32(g) }
            lastWithKey = map
        }
        return lastWithKey![recordKey(l, l.rows[i])].map { ($0, true) }
    }
}

/// Whether each decision holds in tonight's clusters.
private func decisionOutcomes(_ decisions: [ClericalDecision], records: [DecidedRecords?], cluster: [Int32]) -> [DecisionOutcome] {
    zip(decisions, records).map { d, rec in
        guard let rec else { return DecisionOutcome(decision: d, status: .rowsGone) }
        let together = cluster[Int(rec.a)] == cluster[Int(rec.b)]
        return DecisionOutcome(decision: d, status: together == (d.verdict == .match) ? .applied : .refused,
                               throughResubmission: rec.throughResubmission)
    }
}
