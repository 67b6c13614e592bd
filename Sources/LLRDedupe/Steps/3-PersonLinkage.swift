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
    let decided = decidedRecords(decisions, rows: rows)
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
/// dataset), and the pairs for the linker. Only the returns decisions name
/// are searched.
private func decidedRecords(_ decisions: [ClericalDecision], rows: ReceivedRows) -> (pairs: PairDecisions, records: [(Int32, Int32)?]) {
    guard !decisions.isEmpty else { return (PairDecisions(), []) }
    var returnOf: [String: Int] = [:]
    for (k, l) in rows.loaded.enumerated() where rows.active[k] { returnOf[l.source.sourceFile] = k }
    var recordOf: [Int: [Int32: Int32]] = [:]
    func record(_ file: String, _ row: Int) -> Int32? {
        guard let k = returnOf[file], let r = Int32(exactly: row) else { return nil }
        if recordOf[k] == nil {
            var map: [Int32: Int32] = [:]
            for (i, lr) in rows.loaded[k].rows.enumerated() { map[lr.sourceRow] = Int32(rows.firstRow[k] + i) }
            recordOf[k] = map
        }
        return recordOf[k]![r]
    }
    var pairs = PairDecisions()
    var records: [(Int32, Int32)?] = []
    for d in decisions {
        guard let a = record(d.fileA, d.rowA), let b = record(d.fileB, d.rowB) else { records.append(nil); continue }
        records.append((a, b))
        if d.verdict == .match { pairs.matches.append((a, b)) } else { pairs.nonMatches.append((a, b)) }
    }
    return (pairs, records)
}

/// Whether each decision holds in tonight's clusters.
private func decisionOutcomes(_ decisions: [ClericalDecision], records: [(Int32, Int32)?], cluster: [Int32]) -> [DecisionOutcome] {
    zip(decisions, records).map { d, rec in
        guard let (a, b) = rec else { return DecisionOutcome(decision: d, status: .rowsGone) }
        let together = cluster[Int(a)] == cluster[Int(b)]
        return DecisionOutcome(decision: d, status: together == (d.verdict == .match) ? .applied : .refused)
    }
}
