import LLRCore

/// Everything the writers need from a run, indexed by global row number.
struct OutputContext {
    let loaded: [LoadedReturn]
    let active: [Bool]
    let rowReturn: [Int32]
    let rowIndex: [Int32]
    let owner: [Int32]
    let eventId: [String]
    let cluster: [Int32]
    let personId: [String]
    let records: PersonRecords
    let linkage: LinkageSettings

    var count: Int { rowReturn.count }
    func ret(_ g: Int) -> LoadedReturn { loaded[Int(rowReturn[g])] }
    func row(_ g: Int) -> LoadedRow { loaded[Int(rowReturn[g])].rows[Int(rowIndex[g])] }
    func person(_ g: Int) -> String { personId[Int(cluster[g])] }
}

public let dedupeOutputFiles = ["events.csv.gz", "persons.csv.gz", "person_identifiers.csv.gz", "links.csv.gz", "review.csv", "lineage.csv.gz"]

func ruleName(_ rule: Int16, _ linkage: LinkageSettings) -> String {
    switch rule {
    case LinkEdge.probabilistic: return "probabilistic"
    case LinkEdge.sameDetails: return "same-details"
    case LinkEdge.carried: return "earlier-run"
    default: return linkage.deterministic[Int(rule)].name
    }
}

func isoDate(dayNumber d: Int32) -> String {
    d == Int32.min ? "" : CivilDate(dayNumber: Int(d)).description
}

func weightText(_ w: Float) -> String {
    let r = (Double(w) * 100).rounded() / 100
    return "\(r)"
}

/// Writes the six outputs of spec §4 that deduplication owns. Each goes to
/// a temporary name first; all are renamed into place only when every one is
/// complete, so a failure leaves the previous set whole.
func writeOutputs(_ c: OutputContext, result: LinkResult, outDir: String, summary: inout DedupeSummary) throws {
    let n = c.count
    var pending: [CSVGzipOutput] = []

    // events: one row per real-world event.
    var groupSize = [Int32](repeating: 0, count: n)
    var groupPartners = [[String]](repeating: [], count: n)
    for g in 0..<n {
        let o = Int(c.owner[g])
        groupSize[o] += 1
        let p = c.ret(g).source.name.partner
        if !groupPartners[o].contains(p) { groupPartners[o].append(p) }
    }
    let owners = (0..<n).filter { c.owner[$0] == Int32($0) }.sorted { (c.row($0).start, c.eventId[$0]) < (c.row($1).start, c.eventId[$1]) }
    let attributeHeader = c.loaded.first?.attributeHeader ?? []
    let events = try CSVGzipOutput(path: outDir + "/events.csv.gz", header: [
        "llr_event_id", "llr_person_id", "event_type", "event_start", "event_end", "financial_year", "quarter", "la_code",
        "la_name", "postcode_district", "age_at_event", "age_band", "sex", "ethnicity_group", "ethnicity_code", "sources",
        "source_records"] + attributeHeader, level: 1, background: true)
    for g in owners {
        let l = c.ret(g), r = c.row(g)
        try events.writeRow { w in
            w.add(c.eventId[g]); w.add(c.person(g))
            w.addEncoded(l.bytes(r.core))
            w.add(groupPartners[g].sorted().joined(separator: ";"))
            w.add(Int(groupSize[g]))
            if !attributeHeader.isEmpty { w.addEncoded(l.bytes(r.attributes)) }
        }
    }
    pending.append(events)

    // persons
    var firstSeen = [Int32](repeating: Int32.max, count: result.clusterCount)
    var lastSeen = [Int32](repeating: Int32.min, count: result.clusterCount)
    var partners = [[String]](repeating: [], count: result.clusterCount)
    var sourceIds = [Set<String>](repeating: [], count: result.clusterCount)
    for g in 0..<n {
        let k = Int(c.cluster[g]), r = c.row(g), l = c.ret(g)
        if r.start != Int32.min { firstSeen[k] = min(firstSeen[k], r.start); lastSeen[k] = max(lastSeen[k], r.start) }
        if !partners[k].contains(l.source.name.partner) { partners[k].append(l.source.name.partner) }
        let own = r.personSourceId.count > 0 ? r.personSourceId : r.sourceKey
        sourceIds[k].insert(l.source.name.partner + "|" + String(decoding: l.bytes(own), as: UTF8.self))
    }
    var probabilistic = [Bool](repeating: false, count: result.clusterCount)
    for e in result.edges where e.rule == LinkEdge.probabilistic { probabilistic[Int(c.cluster[Int(e.a)])] = true }
    let persons = try CSVGzipOutput(path: outDir + "/persons.csv.gz",
                                    header: ["llr_person_id", "first_seen", "last_seen", "partners", "source_ids", "link_method"], level: 1)
    for k in (0..<result.clusterCount).sorted(by: { c.personId[$0] < c.personId[$1] }) {
        try persons.writeRow { w in
            w.add(c.personId[k])
            w.add(firstSeen[k] == Int32.max ? "" : isoDate(dayNumber: firstSeen[k]))
            w.add(lastSeen[k] == Int32.min ? "" : isoDate(dayNumber: lastSeen[k]))
            w.add(partners[k].sorted().joined(separator: ";"))
            w.add(sourceIds[k].count)
            w.add(probabilistic[k] ? "probabilistic" : (sourceIds[k].count > 1 ? "deterministic" : "single"))
        }
    }
    pending.append(persons)

    // person_identifiers (restricted): each distinct set of details behind each person.
    var seen = Set<[UInt8]>()
    var identityRows: [(String, [UInt8])] = []
    for g in 0..<n {
        let l = c.ret(g), r = c.row(g)
        var line = Array(l.source.name.partner.utf8)
        line.append(0x2C)
        line.append(contentsOf: l.bytes(r.identity))
        let key = Array(c.person(g).utf8) + [0] + line
        if seen.insert(key).inserted { identityRows.append((c.person(g), line)) }
    }
    identityRows.sort { ($0.0, $0.1.lexicographicallyPrecedes($1.1) ? 0 : 1) < ($1.0, 1) || ($0.0 == $1.0 && $0.1.lexicographicallyPrecedes($1.1)) }
    let identifiers = try CSVGzipOutput(path: outDir + "/person_identifiers.csv.gz",
                                        header: ["llr_person_id", "partner", "person_source_id", "forename", "surname", "dob", "postcode", "nhs_number", "upn"], level: 1)
    for (id, line) in identityRows {
        try identifiers.writeRow { w in w.add(id); w.addEncoded(line[...]) }
    }
    pending.append(identifiers)

    // links: every pair that joined two clusters, with its rule or weight.
    func place(_ g: Int32) -> (String, Int) { (c.ret(Int(g)).source.sourceFile, Int(c.row(Int(g)).sourceRow)) }
    let links = try CSVGzipOutput(path: outDir + "/links.csv.gz",
                                  header: ["llr_person_id", "source_file_a", "source_row_a", "source_file_b", "source_row_b", "rule", "match_weight"], level: 1)
    let sortedEdges = result.edges.sorted { (c.person(Int($0.a)), $0.a, $0.b) < (c.person(Int($1.a)), $1.a, $1.b) }
    for e in sortedEdges {
        let (fa, ra) = place(e.a), (fb, rb) = place(e.b)
        try links.writeRow { w in
            w.add(c.person(Int(e.a))); w.add(fa); w.add(ra); w.add(fb); w.add(rb)
            w.add(ruleName(e.rule, c.linkage))
            w.add(e.rule == LinkEdge.probabilistic || e.rule == LinkEdge.sameDetails ? weightText(e.weight) : "")
        }
    }
    pending.append(links)

    // review.csv: uncertain pairs with what a person needs to decide (restricted).
    let review = try AtomicOutputFile(path: outDir + "/review.csv")
    var text = CSVRowBuilder()
    for h in ["match_weight", "llr_person_id_a", "source_file_a", "source_row_a", "forename_a", "surname_a", "dob_a", "postcode_a",
              "llr_person_id_b", "source_file_b", "source_row_b", "forename_b", "surname_b", "dob_b", "postcode_b"] { text.add(h) }
    text.endRow()
    for e in result.review.sorted(by: { ($0.weight, $1.a, $1.b) > ($1.weight, $0.a, $0.b) }) {
        text.add(weightText(e.weight))
        for g in [Int(e.a), Int(e.b)] {
            let l = c.ret(g), r = c.row(g)
            text.add(c.person(g)); text.add(l.source.sourceFile); text.add(Int(r.sourceRow))
            for s in [r.forename, r.surname, r.dob, r.postcode] { text.add(Array(l.bytes(s))) }
        }
        text.endRow()
    }
    try review.write(text.bytes)
    summary.review = result.review.count

    // lineage: every source row received, with what became of it.
    var lineageRows: [(file: String, row: Int32, partner: String, status: RowStatus, event: String, person: String)] = []
    var firstG = 0
    var byKey: [UInt64: Int] = [:]
    for g in 0..<n where c.owner[g] == Int32(g) || true {
        let l = c.ret(g), r = c.row(g)
        byKey[recordKey(l, r)] = g
    }
    for (ri, l) in c.loaded.enumerated() {
        let file = l.source.sourceFile, partner = l.source.name.partner
        if c.active[ri] {
            var gOfRow: [Int32: Int] = [:]
            for k in l.rows.indices {
                let g = firstG + k
                gOfRow[l.rows[k].sourceRow] = g
                lineageRows.append((file, l.rows[k].sourceRow, partner, c.owner[g] == Int32(g) ? .kept : .merged, c.eventId[g], c.person(g)))
            }
            for (dup, first) in l.duplicates {
                if let g = gOfRow[first] { lineageRows.append((file, dup, partner, .duplicate, c.eventId[g], c.person(g))) } else {
                    lineageRows.append((file, dup, partner, .duplicate, "", ""))
                }
            }
            firstG += l.rows.count
        } else {
            for r in l.rows {
                if let g = byKey[recordKey(l, r)] { lineageRows.append((file, r.sourceRow, partner, .superseded, c.eventId[g], c.person(g))) } else {
                    lineageRows.append((file, r.sourceRow, partner, .superseded, "", ""))
                }
            }
            for (dup, _) in l.duplicates { lineageRows.append((file, dup, partner, .superseded, "", "")) }
        }
        for rej in l.rejected { lineageRows.append((file, rej, partner, c.active[ri] ? .rejected : .superseded, "", "")) }
    }
    lineageRows.sort { ($0.file, $0.row) < ($1.file, $1.row) }
    let lineage = try CSVGzipOutput(path: outDir + "/lineage.csv.gz",
                                    header: ["source_file", "source_row", "partner", "status", "llr_event_id", "llr_person_id"], level: 1, background: true)
    for x in lineageRows {
        summary.status[x.status.rawValue, default: 0] += 1
        try lineage.writeRow { w in w.add(x.file); w.add(Int(x.row)); w.add(x.partner); w.add(x.status.rawValue); w.add(x.event); w.add(x.person) }
    }
    summary.rowsReceived = lineageRows.count
    pending.append(lineage)
    for p in pending { try p.commit() }
    try review.commit()
}

/// A record's identity across quarters: its partner and record key.
func recordKey(_ l: LoadedReturn, _ r: LoadedRow) -> UInt64 {
    l.arena.withUnsafeBufferPointer { a in
        identifierHash(UnsafeBufferPointer(start: a.baseAddress! + Int(r.sourceKey.offset), count: Int(r.sourceKey.count)),
                       seed: identifierHash(Array(l.source.name.partner.utf8)))
    }
}
