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
    case LinkEdge.decided: return "decided"
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
    let w = try AlignedWriters(c, result: result, memberOf: memberOf, outDir: outDir, jobs: jobs, plainCopies: plainCopies)
    let lineageCounts = Locked<LineageCounts>(LineageCounts())
    // The writers run on `jobs` workers in this order, the longest first (so
    // the last to start are short); from 2 jobs each output compresses on its
    // own worker too.
    let writers: [@Sendable () throws -> Void] = [
        { try w.writeEvents() },
        { lineageCounts.value = try w.writeLineage() },
        { try w.writePersons(); try w.writePersonIdentifiers() },
        { try w.writeLinks(); try w.writeReview() },
    ]
    let failures = concurrentMap(writers.count, jobs: jobs) { i -> String? in
        do { try writers[i](); return nil } catch { return "\(error)" }
    }
    if let f = failures.compactMap({ $0 }).first { throw OutputError(f) }
    summary.review = result.review.count
    summary.reviewByReason = reviewReasons(result.review, c.linkage)
    summary.idConflicts = idConflicts(result.review, c)
    summary.status = lineageCounts.value.status
    summary.rowsReceived = lineageCounts.value.received
    summary.lineageFiles = lineageCounts.value.files
    try w.pending.commitAll()
}

/// Review pairs counted by reason, most first.
func reviewReasons(_ review: [LinkEdge], _ linkage: LinkageSettings) -> [(reason: String, pairs: Int)] {
    var counts: [String: Int] = [:]
    for e in review { counts[reviewReason(e, linkage), default: 0] += 1 }
    return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
}

/// Both rows of each review pair that shares an id (in row order).
func idConflicts(_ review: [LinkEdge], _ c: OutputContext) -> [IdConflict] {
    var out: [IdConflict] = []
    for e in review where e.rule >= 0 {
        let field = c.linkage.deterministic[Int(e.rule)].field
        let a = Int(e.a), b = Int(e.b)
        for (g, o) in [(a, b), (b, a)] {
            out.append(IdConflict(partner: c.ret(g).source.name.partner, sourceFile: c.ret(g).source.sourceFile, sourceRow: Int(c.row(g).sourceRow),
                                  field: field, otherPartner: c.ret(o).source.name.partner, otherFile: c.ret(o).source.sourceFile,
                                  otherRow: Int(c.row(o).sourceRow)))
        }
    }
    return out.sorted { ($0.sourceFile, $0.sourceRow, $0.otherFile, $0.otherRow) < ($1.sourceFile, $1.sourceRow, $1.otherFile, $1.otherRow) }
}

/// What the lineage writer counted: rows by status, rows in all, the files named.
struct LineageCounts: Sendable {
    var status: [String: Int] = [:]
    var received = 0
    var files: [LineageFile] = []
}


/// A lineage row's status by its number in the writer (0 kept … 4 rejected).
let lineageStatuses: [RowStatus] = [.kept, .merged, .duplicate, .superseded, .rejected, .statement]

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
