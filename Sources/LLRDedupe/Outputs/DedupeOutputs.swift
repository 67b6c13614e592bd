import LLRCore

/// Everything the writers need from a run, indexed by global row number.
struct OutputContext: Sendable {
    let loaded: [LoadedReturn]
    let active: [Bool]
    let rowReturn: [Int32]
    let rowIndex: [Int32]
    /// The global number of each active return's first row.
    let firstRow: [Int]
    /// Partner + record key of each row, as the spells step hashed it.
    let recordKeys: [UInt64]
    let owner: [Int32]
    /// Each event's id (by owner slot), and each row's slot.
    let eventIds: IdColumn
    let eventSlot: [Int32]
    let cluster: [Int32]
    let personId: [String]
    /// The same person ids as bytes, for the writers.
    let personIds: IdColumn
    let linkage: LinkageSettings

    var count: Int { rowReturn.count }
    func ret(_ g: Int) -> LoadedReturn { loaded[Int(rowReturn[g])] }
    func row(_ g: Int) -> LoadedRow { loaded[Int(rowReturn[g])].rows[Int(rowIndex[g])] }
    /// Rows written in date order are read from all over memory, a cache
    /// miss at each level (the row's numbers, its record, its bytes): the
    /// writers ask for each level some rows ahead of the one they write.
    @inline(__always) func prefetchNumbers(_ g: Int) {
        rowReturn.withUnsafeBufferPointer { prefetchMemory($0.baseAddress! + g) }
        rowIndex.withUnsafeBufferPointer { prefetchMemory($0.baseAddress! + g) }
        eventSlot.withUnsafeBufferPointer { prefetchMemory($0.baseAddress! + g) }
        cluster.withUnsafeBufferPointer { prefetchMemory($0.baseAddress! + g) }
    }

    @inline(__always) func prefetchRecord(_ g: Int) {
        let p = UnsafeRawPointer(loaded[Int(rowReturn[g])].rows.baseAddress! + Int(rowIndex[g]))
        prefetchMemory(p)
        prefetchMemory(p + MemoryLayout<LoadedRow>.stride - 1)
    }

    @inline(__always) func prefetchBytes(_ g: Int, _ span: KeyPath<LoadedRow, ByteSpan>) {
        let l = ret(g)
        let offset = Int(l.rows[Int(rowIndex[g])][keyPath: span].offset)
        prefetchMemory(l.arena.baseAddress! + offset)
    }

    /// All three levels for a writer at position `i` of its row order: the
    /// numbers 24 rows ahead, the record 12 ahead, the `span` bytes 4 ahead.
    @inline(__always) func prefetch(ahead i: Int, of order: Int, bytes span: KeyPath<LoadedRow, ByteSpan>, row: (Int) -> Int) {
        if i + 24 < order { prefetchNumbers(row(i + 24)) }
        if i + 12 < order { prefetchRecord(row(i + 12)) }
        if i + 4 < order { prefetchBytes(row(i + 4), span) }
    }

    /// A row's event id and person id as CSV cells.
    @inline(__always) func writeIds(_ g: Int, _ out: FastCSVGzipRows, _ events: IdCells, _ persons: IdCells) {
        writeId(events[Int(eventSlot[g])], out, plain: events.plain)
        writeId(persons[Int(cluster[g])], out, plain: persons.plain)
    }
}

/// An id as a CSV cell: copied as it is when its column holds letters and
/// digits only, escaped like any other value otherwise.
@inline(__always) func writeId(_ id: UnsafeBufferPointer<UInt8>, _ out: FastCSVGzipRows, plain: Bool) {
    if plain { out.verbatim(id) } else { out.cell(id) }
}

/// Constant cells (file names, partners, statuses, rules) escaped once and
/// held where rows can copy them with no reference counting.
final class EncodedCells {
    private let arena = ByteRunArena()
    private var runs: [String: ByteRun] = [:]

    func cell(_ value: String) -> ByteRun {
        if let r = runs[value] { return r }
        let r = arena.run(encodedCell(value))
        runs[value] = r
        return r
    }
}

public let dedupeOutputFiles = ["events.csv.gz", "persons.csv.gz", "person_identifiers.csv.gz", "links.csv.gz", "review.csv", "lineage.csv.gz"]

/// Clusters in the order of their person ids. The ids are 24 hex digits,
/// whose order as two numbers (the first 16 digits, then 8) is their order
/// as text; numbers sort several times faster than strings. Ids of any
/// other form are sorted as text.
func personIdOrder(_ ids: [String]) -> [Int] {
    var keys: [(high: UInt64, low: UInt32)] = []
    keys.reserveCapacity(ids.count)
    for id in ids {
        guard let key = hexOrderKey(id) else { return ids.indices.sorted { ids[$0] < ids[$1] } }
        keys.append(key)
    }
    return PackedOrder.indices(ids.count) { keys[$0] }.map(Int.init)
}

/// A 24-digit hex key's first 16 digits and next 8 as numbers, which order
/// such keys as their text does; nil for anything else.
func hexOrderKey(_ s: String) -> (high: UInt64, low: UInt32)? {
    var s = s
    return s.withUTF8 { b in
        guard b.count == 24, let high = hexNumber(UnsafeBufferPointer(rebasing: b[..<16])),
              let low = hexNumber(UnsafeBufferPointer(rebasing: b[16...])) else { return nil }
        return (high, UInt32(low))
    }
}

/// Lower-case hex digits as a number; nil for anything else or more than 16 digits.
func hexNumber<S: Sequence<UInt8>>(_ digits: S) -> UInt64? {
    var v: UInt64 = 0, count = 0
    for c in digits {
        let d: UInt8
        switch c {
        case 0x30...0x39: d = c - 0x30
        case 0x61...0x66: d = c - 0x61 + 10
        default: return nil
        }
        count += 1
        if count > 16 { return nil }
        v = v << 4 | UInt64(d)
    }
    return count > 0 ? v : nil
}

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

func weightText(_ w: Float) -> String { decimalText(Double(w), places: 2) }

/// Writes the six outputs of spec §4 that deduplication owns. Each goes to
/// a temporary name first; all are renamed into place only when every one is
/// complete, so a failure leaves the previous set whole. Orders are by
/// plain numbers (start day, row order, id rank), so reruns give the same bytes.
func writeOutputs(_ c: OutputContext, result: LinkResult, memberOf: [Int32], outDir: String, jobs: Int, plainCopies: [String: String] = [:],
                  summary: inout DedupeSummary) throws {
    let n = c.count
    let pending = PendingOutputs()
    let lineageCounts = Locked<([String: Int], Int, [LineageFile])>(([:], 0, []))
    let start = (0..<n).map { c.row($0).start }
    // Partners as small numbers in code order, so a set of them is a bit mask
    // and its text (`LCC;LP`) is made once per distinct set.
    let partnerCodes = Array(Set(c.loaded.map { $0.source.name.partner })).sorted()
    let partnerNumber = Dictionary(uniqueKeysWithValues: partnerCodes.enumerated().map { ($1, UInt8($0)) })
    let returnPartner = c.loaded.map { partnerNumber[$0.source.name.partner]! }
    let partnerOf = (0..<n).map { returnPartner[Int(c.rowReturn[$0])] }
    guard partnerCodes.count <= 64 else { throw OutputError("more than 64 partners: widen the partner sets in DedupeOutputs") }
    // Person ids in sorted order: rank[cluster].
    let clusterOrder = personIdOrder(c.personId)
    var ranks = [Int32](repeating: 0, count: result.clusterCount)
    for (i, k) in clusterOrder.enumerated() { ranks[k] = Int32(i) }
    let rank = ranks

    // The writers run on `jobs` workers in this order, the longest first (so
    // the last to start are short); from 2 jobs each output compresses on its
    // own worker too.
    let writers: [@Sendable () throws -> Void] = [
        {
            // events: one row per real-world event, each child's together
            // in date order (a child's history reads top to bottom, and
            // llr.sqlite's index on the person id is built from rows already
            // in its order, four times faster than from rows in date order).
            var groupSize = [Int32](repeating: 0, count: n)
            var groupPartners = [UInt64](repeating: 0, count: n)
            for g in 0..<n {
                let o = Int(c.owner[g])
                groupSize[o] += 1
                groupPartners[o] |= 1 << UInt64(partnerOf[g])
            }
            let owners = PackedOrder.indices(n, include: { c.owner[$0] == Int32($0) }) {
                (PackedOrder.pair(rank[Int(c.cluster[$0])], PackedOrder.ordered(start[$0])), 0)
            }.map(Int.init)
            let attributeHeader = c.loaded.first?.attributeHeader ?? []
            let events = try FastCSVGzipRows(path: outDir + "/events.csv.gz", header: [
                "llr_event_id", "llr_person_id", "event_type", "event_start", "event_end", "financial_year", "quarter", "la_code",
                "la_name", "postcode_district", "age_at_event", "age_band", "sex", "ethnicity_group", "ethnicity_code", "sources",
                "source_records"] + attributeHeader, level: 1, background: jobs > 1, plainCopy: plainCopies["events.csv.gz"])
            var partnerSets = PartnerSetNames(partnerCodes)
            try c.eventIds.withCells { ev in
                try c.personIds.withCells { pe in
                    for (i, g) in owners.enumerated() {
                        c.prefetch(ahead: i, of: owners.count, bytes: \.core) { owners[$0] }
                        let l = c.ret(g), r = c.row(g)
                        c.writeIds(g, events, ev, pe)
                        events.verbatim(l.bytes(r.core))
                        events.verbatim(partnerSets.name(groupPartners[g]))
                        events.int(Int(groupSize[g]))
                        if !attributeHeader.isEmpty { events.verbatim(l.bytes(r.attributes)) }
                        try events.endRow()
                    }
                }
            }
            pending.add(events)
        },
        {
            // lineage: every source row received, with what became of it.
            // A superseded row's record key names the row that replaced it (the last to have it).
            var byKey = HashIndex(capacity: c.active.contains(false) ? n : 0)
            if c.active.contains(false) {
                for g in 0..<n {
                    if g + 8 < n { byKey.prefetch(c.recordKeys[g + 8]) }
                    let (slot, inserted) = byKey.slot(c.recordKeys[g], insertingRow: g)
                    if !inserted { byKey.setRow(g, atSlot: slot) }
                }
            }
            let lineage = try FastCSVGzipRows(path: outDir + "/lineage.csv.gz",
                                              header: ["source_file", "source_row", "partner", "status", "llr_event_id", "llr_person_id"], level: 1, background: jobs > 1)
            let constants = EncodedCells()
            let statusRuns = lineageStatuses.map { constants.cell($0.rawValue) }
            var received = 0
            var status: [String: Int] = [:]
            var files: [LineageFile] = []
            for ri in c.loaded.indices.sorted(by: { c.loaded[$0].source.sourceFile < c.loaded[$1].source.sourceFile }) {
                let l = c.loaded[ri]
                let file = l.source.sourceFile, partner = l.source.name.partner
                // (row, status, global row whose ids it takes or -1)
                var entries: [(Int32, UInt8, Int32)] = []
                entries.reserveCapacity(l.rows.count + l.rejected.count + l.duplicates.count)
                if c.active[ri] {
                    for k in l.rows.indices {
                        let g = c.firstRow[ri] + k
                        entries.append((l.rows[k].sourceRow, c.owner[g] == Int32(g) ? 0 : 1, Int32(g)))
                    }
                    let rowOf = RowsBySourceRow(l.rows.map(\.sourceRow))
                    for (dup, first) in l.duplicates { entries.append((dup, 2, rowOf.index(of: first).map { Int32(c.firstRow[ri] + $0) } ?? -1)) }
                    for rej in l.rejected { entries.append((rej, 4, -1)) }
                } else {
                    for r in l.rows { entries.append((r.sourceRow, 3, byKey.row(of: recordKey(l, r)).map { Int32($0) } ?? -1)) }
                    for (dup, _) in l.duplicates { entries.append((dup, 3, -1)) }
                    for rej in l.rejected { entries.append((rej, 3, -1)) }
                }
                // A row once listed both as rejected and as a copy of another
                // row (normalised caches made before the validator stopped
                // that), and the lineage held it twice: every source row is
                // in the lineage once, rejected if it was rejected.
                entries.sort { ($0.0, $1.1) < ($1.0, $0.1) }
                entries.removeRepeatedRows()
                if !entries.isEmpty { files.append(LineageFile(sourceFile: file, partner: partner)) }
                var counts = [Int](repeating: 0, count: 5)
                let fileCell = constants.cell(file), partnerCell = constants.cell(partner)
                try c.eventIds.withCells { ev in
                    try c.personIds.withCells { pe in
                        for (row, status, g) in entries {
                            counts[Int(status)] += 1
                            lineage.verbatim(fileCell); lineage.int(Int(row)); lineage.verbatim(partnerCell)
                            lineage.verbatim(statusRuns[Int(status)])
                            if g >= 0 { c.writeIds(Int(g), lineage, ev, pe) } else { lineage.empty(); lineage.empty() }
                            try lineage.endRow()
                        }
                    }
                }
                for (i, s) in lineageStatuses.enumerated() { status[s.rawValue, default: 0] += counts[i] }
                received += entries.count
            }
            pending.add(lineage)
            lineageCounts.value = (status, received, files)
        },
        {
            // persons
            var firstSeen = [Int32](repeating: Int32.max, count: result.clusterCount)
            var lastSeen = [Int32](repeating: Int32.min, count: result.clusterCount)
            var partners = [UInt64](repeating: 0, count: result.clusterCount)
            for g in 0..<n {
                let k = Int(c.cluster[g])
                if start[g] != Int32.min { firstSeen[k] = min(firstSeen[k], start[g]); lastSeen[k] = max(lastSeen[k], start[g]) }
                partners[k] |= 1 << UInt64(partnerOf[g])
            }
            var sourceIds = [Int32](repeating: 0, count: result.clusterCount)
            // Distinct source persons per cluster: (cluster, member) pairs, packed and sorted.
            var byMember = (0..<n).map { PackedOrder.pair(c.cluster[$0], UInt32(bitPattern: memberOf[$0])) }
            byMember.sort()
            for (i, x) in byMember.enumerated() where i == 0 || byMember[i - 1] != x { sourceIds[Int(x >> 32)] += 1 }
            var probabilistic = [Bool](repeating: false, count: result.clusterCount)
            for e in result.edges where e.rule == LinkEdge.probabilistic { probabilistic[Int(c.cluster[Int(e.a)])] = true }
            let persons = try FastCSVGzipRows(path: outDir + "/persons.csv.gz",
                                            header: ["llr_person_id", "first_seen", "last_seen", "partners", "source_ids", "link_method"], level: 1,
                                            background: jobs > 1, plainCopy: plainCopies["persons.csv.gz"])
            var partnerSets = PartnerSetNames(partnerCodes)
            for k in clusterOrder {
                persons.cell(c.personId[k])
                persons.cell(firstSeen[k] == Int32.max ? "" : isoDate(dayNumber: firstSeen[k]))
                persons.cell(lastSeen[k] == Int32.min ? "" : isoDate(dayNumber: lastSeen[k]))
                persons.verbatim(partnerSets.name(partners[k]))
                persons.int(Int(sourceIds[k]))
                persons.cell(probabilistic[k] ? "probabilistic" : (sourceIds[k] > 1 ? "deterministic" : "single"))
                try persons.endRow()
            }
            pending.add(persons)

            // person_identifiers (restricted): each distinct set of details behind each person.
            var seen = HashIndex(capacity: n / 4)
            var identityRows: [(Int32, Int32)] = []
            for g in 0..<n {
                let l = c.ret(g), r = c.row(g)
                let h = identifierHash(l.bytes(r.identity), seed: UInt64(UInt32(bitPattern: c.cluster[g])) &* 0x9E37_79B9 ^ l.partnerSeed)
                if seen.insert(h, row: g) == nil { identityRows.append((rank[Int(c.cluster[g])], Int32(g))) }
            }
            identityRows.sort { $0 < $1 }
            let identifiers = try FastCSVGzipRows(path: outDir + "/person_identifiers.csv.gz",
                                                  header: ["llr_person_id", "partner", "person_source_id", "forename", "surname", "dob", "postcode", "nhs_number", "upn"],
                                                level: 1, background: jobs > 1)
            let partnerCells = EncodedCells()
            let partnerRuns = partnerCodes.map { partnerCells.cell($0) }
            try c.personIds.withCells { pe in
                for (i, (_, g32)) in identityRows.enumerated() {
                    c.prefetch(ahead: i, of: identityRows.count, bytes: \.identity) { Int(identityRows[$0].1) }
                    let g = Int(g32), l = c.ret(g), r = c.row(g)
                    writeId(pe[Int(c.cluster[g])], identifiers, plain: pe.plain)
                    identifiers.verbatim(partnerRuns[Int(partnerOf[g])])
                    identifiers.verbatim(l.bytes(r.identity))
                    try identifiers.endRow()
                }
            }
            pending.add(identifiers)
        },
        {
            // links: every pair that joined two clusters, with its rule or weight.
            let links = try FastCSVGzipRows(path: outDir + "/links.csv.gz",
                                            header: ["llr_person_id", "source_file_a", "source_row_a", "source_file_b", "source_row_b", "rule", "match_weight"],
                                          level: 1, background: jobs > 1)
            let sortedEdges = PackedOrder.indices(result.edges.count) { i in
                let e = result.edges[i]
                return (PackedOrder.pair(rank[Int(c.cluster[Int(e.a)])], UInt32(bitPattern: e.a)), UInt32(bitPattern: e.b))
            }.map { result.edges[Int($0)] }
            // File names and rule names escaped once, not on every row.
            let constants = EncodedCells()
            let fileCells = c.loaded.map { constants.cell($0.source.sourceFile) }
            var ruleCells: [Int16: ByteRun] = [:]
            for e in sortedEdges where ruleCells[e.rule] == nil { ruleCells[e.rule] = constants.cell(ruleName(e.rule, c.linkage)) }
            try c.personIds.withCells { pe in
                for (i, e) in sortedEdges.enumerated() {
                    if i + 16 < sortedEdges.count {
                        c.prefetchNumbers(Int(sortedEdges[i + 16].a))
                        c.prefetchNumbers(Int(sortedEdges[i + 16].b))
                    }
                    if i + 8 < sortedEdges.count {
                        c.prefetchRecord(Int(sortedEdges[i + 8].a))
                        c.prefetchRecord(Int(sortedEdges[i + 8].b))
                    }
                    let a = Int(e.a), b = Int(e.b)
                    writeId(pe[Int(c.cluster[a])], links, plain: pe.plain)
                    links.verbatim(fileCells[Int(c.rowReturn[a])]); links.int(Int(c.row(a).sourceRow))
                    links.verbatim(fileCells[Int(c.rowReturn[b])]); links.int(Int(c.row(b).sourceRow))
                    links.verbatim(ruleCells[e.rule]!)
                    if e.rule == LinkEdge.probabilistic || e.rule == LinkEdge.sameDetails { links.cell(weightText(e.weight)) } else { links.empty() }
                    try links.endRow()
                }
            }
            pending.add(links)

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
                    text.add(c.personId[Int(c.cluster[g])]); text.add(l.source.sourceFile); text.add(Int(r.sourceRow))
                    for s in [r.forename, r.surname, r.dob, r.postcode] { text.add(l.bytes(s)) }
                }
                text.endRow()
                if text.bytes.count > 1 << 20 { try review.write(text.bytes); text.removeAll() }
            }
            try review.write(text.bytes)
            pending.add(review)
        },
    ]
    let failures = concurrentMap(writers.count, jobs: jobs) { i -> String? in
        do { try writers[i](); return nil } catch { return "\(error)" }
    }
    if let f = failures.compactMap({ $0 }).first { throw OutputError(f) }
    summary.review = result.review.count
    summary.status = lineageCounts.value.0
    summary.rowsReceived = lineageCounts.value.1
    summary.lineageFiles = lineageCounts.value.2
    try pending.commitAll()
}

/// One value as a CSV cell, escaped once for rows that repeat it.
func encodedCell(_ value: String) -> [UInt8] {
    var b = CSVRowBuilder()
    b.add(value)
    return b.bytes
}

/// A lineage row's status by its number in the writer (0 kept … 4 rejected).
private let lineageStatuses: [RowStatus] = [.kept, .merged, .duplicate, .superseded, .rejected]

/// The `;`-joined codes of each set of partners (a bit mask over codes in
/// order) as a CSV cell, made once per set; one per writer, so no lock.
struct PartnerSetNames {
    private let codes: [String]
    private let cells = EncodedCells()
    private var names: [UInt64: ByteRun] = [:]

    init(_ codes: [String]) { self.codes = codes }

    mutating func name(_ mask: UInt64) -> ByteRun {
        if let known = names[mask] { return known }
        let cell = cells.cell(codes.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { codes[$0] }.joined(separator: ";"))
        names[mask] = cell
        return cell
    }
}

/// Outputs built on several workers, renamed into place together once all are complete.
final class PendingOutputs: @unchecked Sendable {
    private let lock = MutexLock()
    private var fast: [FastCSVGzipRows] = []
    private var plain: [AtomicOutputFile] = []

    func add(_ o: FastCSVGzipRows) { lock.withLock { fast.append(o) } }
    func add(_ o: AtomicOutputFile) { lock.withLock { plain.append(o) } }

    func commitAll() throws(OutputError) {
        for o in fast { try o.commit() }
        for o in plain { try o.commit() }
    }
}

/// A record's identity across quarters: its partner and record key.
func recordKey(_ l: LoadedReturn, _ r: LoadedRow) -> UInt64 {
    identifierHash(l.bytes(r.sourceKey), seed: l.partnerSeed)
}

extension Array where Element == (Int32, UInt8, Int32) {
    /// Keeps the first entry of each run of one source row (in rows sorted by row).
    mutating func removeRepeatedRows() {
        var kept = 0
        for i in indices where kept == 0 || self[i].0 != self[kept - 1].0 {
            self[kept] = self[i]
            kept += 1
        }
        removeLast(count - kept)
    }
}
