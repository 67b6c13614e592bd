import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One normalised return: the four files llr-normalise wrote for it.
public struct NormalisedReturn: Sendable {
    public var stem: String
    public var name: ReturnFileName
    public var directory: String
    public var events: String { directory + "/" + stem + ".events.csv.gz" }
    public var identifiers: String { directory + "/" + stem + ".identifiers.csv.gz" }
    public var rejects: String { directory + "/" + stem + ".rejects.csv.gz" }
    public var duplicates: String { directory + "/" + stem + ".duplicates.csv.gz" }
    /// The accepted rows of a return whose rows are not events (commentary).
    public var statements: String { directory + "/" + stem + ".statements.csv.gz" }
    /// The partner's original file name (the `source_file` of every row in
    /// the lineage and the links). The files' names keep only the stem; the
    /// name comes from the caller (the merge's ledger) or, once read, from
    /// the events file's own `source_file` column, so a return sent as plain
    /// `.csv` is named as it came. Before that, or for a return with no
    /// events, it is taken to be a `.csv.gz`.
    public var sourceFile: String

    public init(stem: String, name: ReturnFileName, directory: String, sourceFile: String? = nil) {
        self.stem = stem
        self.name = name
        self.directory = directory
        self.sourceFile = sourceFile ?? stem + ".csv.gz"
    }
}

/// The files llr-normalise writes for a return, by the suffix after its stem.
public let normalisedSuffixes = [".events.csv.gz", ".identifiers.csv.gz", ".rejects.csv.gz", ".duplicates.csv.gz", ".statements.csv.gz"]

/// Finds normalised returns in folders and among named files. A stem whose
/// name breaks the return-file convention cannot be placed in a quarter and
/// version; it is reported, not guessed.
public func discoverNormalised(_ paths: [String], registry: PartnerRegistry) -> (returns: [NormalisedReturn], problems: [String]) {
    var stems: [String: String] = [:]  // stem → directory
    var problems: [String] = []
    func consider(_ directory: String, _ file: String) {
        for s in normalisedSuffixes where file.hasSuffix(s) {
            stems[String(file.dropLast(s.count))] = directory
            return
        }
    }
    for path in paths {
        if isDirectory(path) {
            guard let names = directoryEntries(path) else { problems.append("\(path): cannot be read"); continue }
            for name in names { consider(path, name) }
        } else if access(path, R_OK) == 0 {
            let file = baseName(path)
            let dir = path.count > file.count ? String(path.dropLast(file.count + 1)) : "."
            if normalisedSuffixes.contains(where: { file.hasSuffix($0) }) { consider(dir, file) } else {
                problems.append("\(path): not a normalised file (expected <return>.events.csv.gz and its companions from llr-normalise)")
            }
        } else {
            problems.append("\(path): no such file or folder")
        }
    }
    var returns: [NormalisedReturn] = []
    for (stem, dir) in stems.sorted(by: { $0.key < $1.key }) {
        switch ReturnFileName.parse(stem + ".csv.gz", registry: registry) {
        case .success(let name):
            let r = NormalisedReturn(stem: stem, name: name, directory: dir)
            if access(r.events, R_OK) != 0 { problems.append("\(stem): the events file is missing; run llr-normalise on the return again") }
            returns.append(r)
        case .failure:
            problems.append("\(stem): the name is not PARTNER_family_YYYY-YY_Qn[_vN], so its quarter and version are unknown; rename the return and normalise it again")
        }
    }
    return (returns, problems)
}

/// A span of bytes in a loaded return's arena.
struct ByteSpan: Sendable {
    var offset: UInt32
    var count: UInt32
    static let empty = ByteSpan(offset: 0, count: 0)
}

/// One accepted row of a normalised return, as plain values and places in
/// the return's arena: everything the later steps read.
///
/// Held for every row of the night (ten million at a year's volume), so
/// its spans are packed: the record key, the core and the attributes lie
/// end to end in the arena and need one offset; the seven identifier values
/// lie in the identity fragment between commas (or, when one had to be
/// quoted there, end to end just after it) and need one end each. 72 bytes
/// rather than 108 as eleven full spans: a third of a gigabyte less at ten
/// million rows. The spans read back are the same as before.
struct LoadedRow: Sendable {
    var sourceRow: Int32
    var eventType: Int16
    var sex: UInt8
    /// The identifier values sit end to end after the identity fragment,
    /// not inside it (a row without identifiers has them all empty so).
    private var plainApart: Bool = true
    var start: Int32          // day number of event_start, Int32.min when missing
    var startMinute: Int32    // minutes from day 0 (midnight when only a date is given)
    var end: Int32            // day number of event_end, Int32.min when missing
    private var eventAt: UInt32
    private var keyCount: UInt32
    private var coreCount: UInt32 = 0
    private var attributesCount: UInt32 = 0
    private var identityAt: UInt32 = 0
    private var identityCount: UInt32 = 0
    /// Where each identifier value ends, counted from where the first starts:
    /// person_source_id, forename, surname, dob, postcode, nhs_number, upn.
    private var ends: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0)

    /// An event row: `core` and `attributes` were stored right after `key`.
    init(sourceRow: Int32, eventType: Int16, sex: UInt8, start: Int32, startMinute: Int32, end: Int32,
         key: ByteSpan, core: ByteSpan = .empty, attributes: ByteSpan = .empty) {
        precondition((core.count == 0 || core.offset == key.offset + key.count)
                     && (attributes.count == 0 || attributes.offset == key.offset + key.count + core.count),
                     "an event's key, core and attributes are stored end to end")
        self.sourceRow = sourceRow
        self.eventType = eventType
        self.sex = sex
        self.start = start
        self.startMinute = startMinute
        self.end = end
        eventAt = key.offset
        keyCount = key.count
        coreCount = core.count
        attributesCount = attributes.count
    }

    /// The identity fragment and where its seven values end (see `ends`),
    /// inside it between commas or, when `apart`, end to end after it.
    mutating func setIdentity(_ fragment: ByteSpan, apart: Bool, ends e: UnsafeBufferPointer<UInt32>) {
        identityAt = fragment.offset
        identityCount = fragment.count
        plainApart = apart
        ends = (e[0], e[1], e[2], e[3], e[4], e[5], e[6])
    }

    var sourceKey: ByteSpan { ByteSpan(offset: eventAt, count: keyCount) }
    /// event_type … ethnicity_code, CSV-encoded, ready to write.
    var core: ByteSpan { ByteSpan(offset: eventAt &+ keyCount, count: coreCount) }
    /// The attribute cells after ethnicity_code, CSV-encoded.
    var attributes: ByteSpan { ByteSpan(offset: eventAt &+ keyCount &+ coreCount, count: attributesCount) }
    /// person_source_id … upn of the identifiers file, CSV-encoded.
    var identity: ByteSpan { ByteSpan(offset: identityAt, count: identityCount) }
    var personSourceId: ByteSpan { identifier(0) }
    var forename: ByteSpan { identifier(1) }
    var surname: ByteSpan { identifier(2) }
    var dob: ByteSpan { identifier(3) }
    var postcode: ByteSpan { identifier(4) }
    var nhs: ByteSpan { identifier(5) }
    var upn: ByteSpan { identifier(6) }

    @inline(__always) private func end(_ k: Int) -> UInt32 {
        withUnsafeBytes(of: ends) { $0.load(fromByteOffset: k * 4, as: UInt32.self) }
    }

    @inline(__always) private func identifier(_ k: Int) -> ByteSpan {
        let base = plainApart ? identityAt &+ identityCount : identityAt
        let from = k == 0 ? 0 : end(k - 1) &+ (plainApart ? 0 : 1)
        return ByteSpan(offset: base &+ from, count: end(k) &- from)
    }

    /// The partner's own person id, or the record key when there is none
    /// (a VCS row): what the linkage state remembers a source person by.
    var ownId: ByteSpan { personSourceId.count > 0 ? personSourceId : sourceKey }
}

/// A normalised return read into memory: its accepted rows, rejected row
/// numbers and duplicate rows.
final class LoadedReturn: @unchecked Sendable {
    let source: NormalisedReturn
    /// Seeds the hashes of partner-local keys, so LP's E-1 is not UHL's E-1.
    let partnerSeed: UInt64
    private let partnerBytes: [UInt8]
    // Constants once read, held in memory of the return's own rather than
    // arrays: the writers' millions of reads take no reference count and no
    // exclusivity check, and the pointers stay put for the return's life.
    let arena: UnsafeBufferPointer<UInt8>
    let rows: UnsafeBufferPointer<LoadedRow>
    let rejected: [Int32]
    /// Accepted rows that are not events (a commentary return's).
    let statements: [Int32]
    let duplicates: [(row: Int32, first: Int32)]
    let problems: [String]
    let attributeHeader: [String]

    /// A superseded return is read for its lineage only: each row's number
    /// and record key (to name the row that replaced it), none of its
    /// details or identifiers, which nothing downstream reads.
    init(_ source: NormalisedReturn, eventTypes: [String: Int16], superseded: Bool = false) {
        partnerBytes = Array(source.name.partner.utf8)
        partnerSeed = identifierHash(partnerBytes)
        var reader = LoadedReturnReader(source)
        // The arena holds part of the two files' bytes, and the merge's
        // cache stores them uncompressed: sized from them at once, it and
        // the rows (an events row takes 150 bytes or more) are not copied as
        // they grow (pages never written are never taken).
        let eventsBytes = fileSize(source.events) ?? 0
        reader.rows.reserveCapacity(eventsBytes / 100)
        if !superseded { reader.arena.reserveCapacity(eventsBytes + (fileSize(source.identifiers) ?? 0)) }
        reader.readEvents(eventTypes, keysOnly: superseded)
        if !superseded { reader.readIdentifiers() }
        reader.readRejects()
        reader.readStatements()
        reader.readDuplicates()
        // Held for the whole run: trimmed to size (a grown array keeps up to
        // half its capacity unused, about a gigabyte at ten million rows).
        arena = ownedCopy(reader.arena)
        rows = ownedCopy(reader.rows)
        var named = source
        if let seen = reader.sourceFileSeen { named.sourceFile = seen }
        self.source = named
        rejected = reader.rejected
        statements = reader.statements
        duplicates = reader.duplicates
        problems = reader.problems
        attributeHeader = reader.attributeHeader
    }

    deinit {
        arena.deallocate()
        rows.deallocate()
    }

    @inline(__always) func bytes(_ s: ByteSpan) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: arena.baseAddress! + Int(s.offset), count: Int(s.count))
    }

    /// The pseudonym of this partner | a key of one of its rows (a record
    /// key for an event, an own id for a source person), appended to `out`.
    func appendId(_ domain: StaticString, of key: ByteSpan, _ pseudonyms: Pseudonymiser, to out: inout [UInt8]) {
        partnerBytes.withUnsafeBytes { partner in
            pseudonyms.appendId(domain, partner, UnsafeRawBufferPointer(bytes(key)), to: &out)
        }
    }
}

/// A return's rows by source row number: a binary search, as the normaliser
/// writes rows in order; a dictionary for a file that is not. A `hint` (the
/// row expected, as when a second file follows the first row by row) is
/// tried first.
struct RowsBySourceRow {
    private let sourceRows: [Int32]
    private let unordered: [Int32: Int]?

    init(_ sourceRows: [Int32]) {
        self.sourceRows = sourceRows
        var ordered = true
        for k in sourceRows.indices.dropFirst() where sourceRows[k - 1] >= sourceRows[k] { ordered = false; break }
        if ordered {
            unordered = nil
        } else {
            var map: [Int32: Int] = [:]
            for (k, r) in sourceRows.enumerated() { map[r] = k }
            unordered = map
        }
    }

    func index(of row: Int32, hint: Int = -1) -> Int? {
        if hint >= 0 && hint < sourceRows.count && sourceRows[hint] == row { return hint }
        if let unordered { return unordered[row] }
        var lo = 0, hi = sourceRows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sourceRows[mid] < row { lo = mid + 1 } else { hi = mid }
        }
        return lo < sourceRows.count && sourceRows[lo] == row ? lo : nil
    }
}

/// The elements of `a` in memory of exactly their size (never empty, so the
/// base address is never nil); the caller deallocates it.
func ownedCopy<T>(_ a: [T]) -> UnsafeBufferPointer<T> {
    let copy = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, a.count))
    _ = copy.initialize(from: a)
    return UnsafeBufferPointer(rebasing: copy[0..<a.count])
}

/// Reads a normalised return's four files into the arena and rows. A
/// struct read through non-escaping closures, so the per-cell appends are
/// checked for exclusive access when compiled, not at run time.
private struct LoadedReturnReader {
    let source: NormalisedReturn
    var arena: [UInt8] = []
    var rows: [LoadedRow] = []
    var rejected: [Int32] = []
    var statements: [Int32] = []
    var duplicates: [(row: Int32, first: Int32)] = []
    var problems: [String] = []
    var attributeHeader: [String] = []
    /// The `source_file` of the first event, when it names this return.
    var sourceFileSeen: String?
    /// Where `storeCSV` put each cell of the last fragment (reused, row after row).
    private var cellSpans: [ByteSpan] = []

    init(_ source: NormalisedReturn) { self.source = source }

    private mutating func store(_ p: UnsafeBufferPointer<UInt8>) -> ByteSpan {
        let s = ByteSpan(offset: UInt32(arena.count), count: UInt32(p.count))
        arena.append(contentsOf: p)
        return s
    }

    /// Cells `from..<to` of a record as one CSV fragment, with where each
    /// cell went in `cellSpans` (a cell written as is, unquoted, is its own
    /// plain value there: its span's count equals its own).
    private mutating func storeCSV(_ r: RecordView, _ from: Int, _ to: Int) -> ByteSpan {
        let start = arena.count
        cellSpans.removeAll(keepingCapacity: true)
        // Nearly always every cell goes as it is and the record holds them
        // comma-separated already: the fragment is one copy of its bytes.
        if to > from, let first = r.cell(from).baseAddress {
            var verbatim = true
            for i in from..<to {
                let cell = r.cell(i)
                if !isVerbatimCSVCell(cell) || (i + 1 < to && cell.baseAddress![cell.count] != 0x2C) { verbatim = false; break }
            }
            if verbatim {
                let last = r.cell(to - 1)
                arena.append(contentsOf: UnsafeBufferPointer(start: first, count: last.baseAddress! + last.count - first))
                for i in from..<to {
                    let cell = r.cell(i)
                    cellSpans.append(ByteSpan(offset: UInt32(start + (cell.baseAddress! - first)), count: UInt32(cell.count)))
                }
                return ByteSpan(offset: UInt32(start), count: UInt32(arena.count - start))
            }
        }
        return storeCSV(r, columns: from..<max(from, to))
    }

    /// The cells of `columns`, in that order, as one CSV fragment; with
    /// where each went in `cellSpans`.
    private mutating func storeCSV<C: Collection<Int>>(_ r: RecordView, columns: C) -> ByteSpan {
        let start = arena.count
        cellSpans.removeAll(keepingCapacity: true)
        for (k, i) in columns.enumerated() {
            if k > 0 { arena.append(0x2C) }
            let at = arena.count
            appendCSVCell(r.cell(i), to: &arena)
            cellSpans.append(ByteSpan(offset: UInt32(at), count: UInt32(arena.count - at)))
        }
        return ByteSpan(offset: UInt32(start), count: UInt32(arena.count - start))
    }

    mutating func readEvents(_ eventTypes: [String: Int16], keysOnly: Bool = false) {
        var c: [Int] = []  // source_row, source_key, event_type, event_start, sex, event_end
        var attrFrom = 0, attrTo = 0, fileCol = -1
        // Canonical types by a hash of their bytes, so a row looks its type up without an allocation.
        var typeIndex: [UInt64: Int16] = [:]
        for (k, v) in eventTypes { typeIndex[identifierHash(Array(k.utf8))] = v }
        let path = source.events
        let problem = CSVFileRows.read(path: path, header: { h in
            c = CSVFileRows.columns(h, ["source_row", "source_key", "event_type", "event_start", "sex", "event_end"])
            fileCol = h.firstIndex(of: "source_file") ?? -1
            attrFrom = (h.firstIndex(of: "ethnicity_code") ?? h.count - 1) + 1
            attrTo = h.count
            self.attributeHeader = Array(h[min(attrFrom, h.count)...])
        }) { r in
            guard c.count == 6, c[0...4].allSatisfy({ $0 >= 0 }), r.storedCount >= attrTo else {
                self.problems.append("\(path): row \(r.rowNumber) lacks the aligned columns; normalise the return again")
                return
            }
            if fileCol >= 0 && self.rows.isEmpty && fileCol < r.storedCount {
                let name = String(decoding: r.cell(fileCol), as: UTF8.self)
                if returnStem(name) == self.source.stem { self.sourceFileSeen = name }
            }
            let rowCol = c[0], keyCol = c[1], typeCol = c[2], startCol = c[3], sexCol = c[4], endCol = c[5]
            if keysOnly {
                let key = self.store(r.cell(keyCol))
                self.rows.append(LoadedRow(sourceRow: rowNumber(r.cell(rowCol)) ?? 0, eventType: -1, sex: 0, start: Int32.min, startMinute: Int32.min,
                                           end: Int32.min, key: key))
                return
            }
            let start = isoDateNumber(r.cell(startCol))
            let day = start == 0 ? Int32.min : Int32(dayNumber(yyyymmdd: start))
            let endDate = endCol >= 0 ? isoDateNumber(r.cell(endCol)) : 0
            let key = self.store(r.cell(keyCol))
            let core = self.storeCSV(r, typeCol, attrFrom)
            let attributes = self.storeCSV(r, attrFrom, attrTo)
            self.rows.append(LoadedRow(
                sourceRow: rowNumber(r.cell(rowCol)) ?? 0,
                eventType: typeIndex[identifierHash(r.cell(typeCol))] ?? -1,
                sex: r.cell(sexCol).first ?? 0,
                start: day, startMinute: day == Int32.min ? Int32.min : day &* 1440 &+ minuteOfDay(r.cell(startCol)),
                end: endDate == 0 ? Int32.min : Int32(dayNumber(yyyymmdd: endDate)),
                key: key, core: core, attributes: attributes))
        }
        if let problem { problems.append(problem) }
    }

    mutating func readIdentifiers() {
        var c: [Int] = []  // source_row, person_source_id, upn, forename, surname, dob, postcode, nhs_number
        // The seven identifier values in LoadedRow's order, and whether the
        // file has them side by side in that order (as llr-normalise writes them).
        var slots: [Int] = [], sideBySide = false
        // Whether the header names every column, and the last one a row must reach.
        var named = false, lastColumn = 0
        var ends = [UInt32](repeating: 0, count: 7)
        // The identifiers come in the events' order: each row is the next
        // event's, and a file that strays is looked up by row number.
        let rowOf = RowsBySourceRow(rows.map(\.sourceRow))
        var next = 0
        var matched = 0
        let path = source.identifiers
        let problem = CSVFileRows.read(path: path, header: { h in
            c = CSVFileRows.columns(h, ["source_row", "person_source_id", "upn", "forename", "surname", "dob", "postcode", "nhs_number"])
            named = c.count == 8 && c.allSatisfy { $0 >= 0 }
            guard named else { return }
            lastColumn = c.max()!
            slots = [c[1], c[3], c[4], c[5], c[6], c[7], c[2]]
            sideBySide = slots == Array(c[1]..<(c[1] + 7))
        }) { r in
            guard named else {
                self.problems.append("\(path): row \(r.rowNumber) has no matching event; normalise the return again")
                return
            }
            guard lastColumn < r.storedCount else {
                self.problems.append("\(path): row \(r.rowNumber) has \(r.storedCount) cells, fewer than the header; normalise the return again")
                return
            }
            guard let row = rowNumber(r.cell(c[0])), let i = rowOf.index(of: row, hint: next) else {
                self.problems.append("\(path): row \(r.rowNumber) has no matching event; normalise the return again")
                return
            }
            next = i + 1
            matched += 1
            // The identity fragment: the seven values, CSV-encoded in order.
            // Side by side in the file (as llr-normalise writes them) they
            // are copied at once, and the values lie inside it between
            // commas, unless one had to be quoted or escaped there: then all
            // seven are stored again as plain values, end to end, after it.
            let identity = sideBySide ? self.storeCSV(r, c[1], c[1] + 7) : self.storeCSV(r, columns: slots)
            var inside = sideBySide && self.cellSpans.count == 7
            var end: UInt32 = 0
            for k in 0..<7 where inside {
                let count = UInt32(r.cell(slots[k]).count)
                if self.cellSpans[k].count != count { inside = false; break }
                end += (k == 0 ? 0 : 1) + count
                ends[k] = end
            }
            if !inside {
                let base = self.arena.count
                precondition(base == Int(identity.offset + identity.count), "the plain values follow the identity fragment")
                for k in 0..<7 {
                    self.arena.append(contentsOf: r.cell(slots[k]))
                    ends[k] = UInt32(self.arena.count - base)
                }
            }
            ends.withUnsafeBufferPointer { self.rows[i].setIdentity(identity, apart: !inside, ends: $0) }
        }
        if let problem { problems.append(problem) }
        if matched < rows.count {
            problems.append("\(path): \(rows.count - matched) events have no identifiers; they are linked on nothing")
        }
    }

    mutating func readRejects() { rejected = readRowNumbers(source.rejects) }

    /// The accepted rows of a return whose rows are not events.
    mutating func readStatements() { statements = readRowNumbers(source.statements) }

    /// The first column's row numbers of a companion file, when there is one.
    private mutating func readRowNumbers(_ path: String) -> [Int32] {
        guard access(path, R_OK) == 0 else { return [] }
        var numbers: [Int32] = []
        let problem = CSVFileRows.read(path: path) { r in
            if let n = rowNumber(r.cell(0)) { numbers.append(n) }
        }
        if let problem { problems.append(problem) }
        return numbers
    }

    mutating func readDuplicates() {
        guard access(source.duplicates, R_OK) == 0 else { return }
        let problem = CSVFileRows.read(path: source.duplicates) { r in
            if r.storedCount >= 2, let a = rowNumber(r.cell(0)), let b = rowNumber(r.cell(1)) { self.duplicates.append((a, b)) }
        }
        if let problem { problems.append(problem) }
    }
}

@inline(__always) func dayNumber(yyyymmdd v: Int32) -> Int {
    CivilDate.dayNumber(year: Int(v / 10000), month: Int((v / 100) % 100), day: Int(v % 100))
}

/// A row number as the normaliser writes it; nil for anything that is not
/// a positive number that fits (a damaged file must not stop the run).
@inline(__always) func rowNumber(_ cell: UnsafeBufferPointer<UInt8>) -> Int32? {
    parseInteger(cell).flatMap { $0 > 0 ? Int32(exactly: $0) : nil }
}

/// `…T11:58` → 718; a date alone → 0.
@inline(__always) func minuteOfDay(_ d: UnsafeBufferPointer<UInt8>) -> Int32 {
    guard d.count >= 16, d[13] == 0x3A else { return 0 }
    let h = Int32(d[11] &- 0x30) * 10 + Int32(d[12] &- 0x30), m = Int32(d[14] &- 0x30) * 10 + Int32(d[15] &- 0x30)
    return h >= 0 && h < 24 && m >= 0 && m < 60 ? h * 60 + m : 0
}
