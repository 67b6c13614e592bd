import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to validate: limits, overrides for misnamed files, outputs.
public struct ValidationOptions: Sendable {
    public var limits = ReadLimits()
    /// Findings kept in the report; the summary still counts all of them.
    public var maxFindings = 1000
    /// Partner code or name, for files whose names break the convention.
    public var partner: String?
    public var period: FinancialQuarter?
    /// The date the return was made; default: the file's modification date.
    public var asOf: CivilDate?
    /// Where to write the rejected rows (`.csv.gz`); nil for none.
    public var rejectsPath: String?
    /// Inflate on a second core while this one parses and checks.
    public var readAhead = false
    public init() {}
}

/// Counts and keeps findings: the first `max` in full, all of them by code.
final class FindingCollector {
    let max: Int
    private(set) var findings: [Finding] = []
    private struct Key: Hashable { var code: FindingCode; var severity: Severity }
    private var counts: [Key: Int] = [:]
    private(set) var errors = 0
    private(set) var warnings = 0
    private(set) var truncated = false

    init(max: Int) { self.max = max }

    func add(_ code: FindingCode, _ severity: Severity, _ make: () -> Finding) {
        if severity == .error { errors += 1 } else { warnings += 1 }
        counts[Key(code: code, severity: severity), default: 0] += 1
        if findings.count < max { findings.append(make()) } else { truncated = true }
    }

    func summary(order: [String]) -> [SummaryEntry] {
        let out = counts.map { SummaryEntry(code: $0.key.code, severity: $0.key.severity, count: $0.value) }
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return out.sorted { a, b in
            if a.severity != b.severity { return a.severity < b.severity }
            return (rank[a.code.rawValue] ?? Int.max, a.code.rawValue) < (rank[b.code.rawValue] ?? Int.max, b.code.rawValue)
        }
    }
}

/// A row that passed every check, as later stages see it while it streams past.
public protocol AcceptedRow: AnyObject {
    var schema: FamilySchema? { get }
    var rowNumber: Int { get }
    /// The row's per-field state in plain memory: trimmed cells, and parsed
    /// values of dates (minutes since 1970), datetimes and integers.
    var fieldState: FieldState { get }
}

/// Per-field state of the current row, indexed by schema field: valid until
/// the row is done. Plain pointers, so reading costs no call and no counting.
public struct FieldState {
    public let trimmed: UnsafePointer<UnsafeBufferPointer<UInt8>>
    public let present: UnsafePointer<Bool>
    public let values: UnsafePointer<Int64>
    public let valueOK: UnsafePointer<Bool>

    @inline(__always) public func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        i >= 0 && present[i] ? trimmed[i] : UnsafeBufferPointer(start: nil, count: 0)
    }

    @inline(__always) public func value(_ i: Int) -> Int64? { i >= 0 && valueOK[i] ? values[i] : nil }
}

/// Validates one return as its records stream past: header, row shape,
/// duplicates, cell types and constraints, then the family's domain rules.
final class ReturnValidator: RecordSink, RowContext, AcceptedRow {
    let pipelines: Pipelines
    let collector: FindingCollector
    unowned let reader: CSVRecordReader
    private(set) var schema: FamilySchema?
    let quarter: FinancialQuarter?
    /// The partner that sent the return, when known (a rule may depend on it).
    let partner: String?
    let quarterDays: (first: Int, last: Int)?
    let asOf: CivilDate
    let asOfDay: Int
    var registry: PartnerRegistry { pipelines.registry }
    let rejectsPath: String?
    private(set) var rejects: CSVOutput?
    private(set) var outputProblem: String?

    private var fields: [CompiledField] = []
    private var plans: CellPlans?
    /// The row loop reads the plans, the primary key's fields and the rules
    /// through these (owned by `plans`, `keyBuffer` and `rules`), so a row
    /// takes no reference count on them.
    private var planBase: UnsafeMutablePointer<CellPlan>?
    private var planCount = 0
    private var keyBuffer = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    private var rulesRef: Unmanaged<CompiledRules>?
    /// File column of each field (-1 when absent), in plain memory for the row loop.
    private let columns: UnsafeMutablePointer<Int>
    private var rules: CompiledRules?
    private var keyFields: [Int] = []
    private var primaryKey: [Int] = []
    private var uniqueFields: [Int] = []
    private var uniqueIndexes: [HashIndex] = []
    private var header: [String] = []
    private var headerCount = 0
    private var sawHeader = false
    private var checkRows = true
    private var readingHeader = false

    private let identity: RowIdentityIndex

    // The current row. Per-field state lives in buffers allocated once for
    // the widest family, so the row loop does no allocation and no
    // exclusivity checks on class properties.
    private var record: RecordView?
    private let fieldCapacity: Int
    private let trimmed: UnsafeMutablePointer<UnsafeBufferPointer<UInt8>>
    private let present: UnsafeMutablePointer<Bool>
    private let values: UnsafeMutablePointer<Int64>
    private let valueOK: UnsafeMutablePointer<Bool>
    private let failed: UnsafeMutablePointer<Bool>
    private var rowHasError = false
    private var rowCodes: [FindingCode] = []
    private let pivotYear: Int

    /// Called for every data row that passed (no error, not a duplicate),
    /// while its cells and values can still be read: llr-normalise writes
    /// the aligned event here.
    var onAcceptedRow: ((AcceptedRow) -> Void)?
    /// Called for every exact copy of an earlier row, with the copy's row
    /// number and the first one's: deduplication records it in the lineage.
    var onDuplicateRow: ((_ row: Int, _ first: Int) -> Void)?
    /// The row being checked, for the hook above.
    var rowNumber: Int { record?.rowNumber ?? 0 }
    var fieldState: FieldState {
        FieldState(trimmed: UnsafePointer(trimmed), present: UnsafePointer(present), values: UnsafePointer(values), valueOK: UnsafePointer(valueOK))
    }

    private(set) var rows = 0
    private(set) var rowsRejected = 0
    private(set) var blankRows = 0

    /// `expectedRows` sizes the identity index up front (an estimate from the
    /// file size), sparing most of its rehashing.
    init(pipelines: Pipelines, schema: FamilySchema?, quarter: FinancialQuarter?, partner: String? = nil, asOf: CivilDate,
         collector: FindingCollector, reader: CSVRecordReader, rejectsPath: String?, expectedRows: Int = 1 << 14) {
        self.partner = partner
        identity = RowIdentityIndex(expectedRows: expectedRows)
        self.pipelines = pipelines
        self.schema = schema
        self.quarter = quarter
        quarterDays = quarter.map { ($0.firstDay.dayNumber, $0.lastDay.dayNumber) }
        self.asOf = asOf
        asOfDay = asOf.dayNumber
        self.collector = collector
        self.reader = reader
        self.rejectsPath = rejectsPath
        pivotYear = asOf.year
        fieldCapacity = max(1, pipelines.families.values.map(\.fields.count).max() ?? 1)
        trimmed = .allocate(capacity: fieldCapacity)
        trimmed.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0), count: fieldCapacity)
        present = .allocate(capacity: fieldCapacity)
        present.initialize(repeating: false, count: fieldCapacity)
        values = .allocate(capacity: fieldCapacity)
        values.initialize(repeating: 0, count: fieldCapacity)
        valueOK = .allocate(capacity: fieldCapacity)
        valueOK.initialize(repeating: false, count: fieldCapacity)
        columns = .allocate(capacity: fieldCapacity)
        columns.initialize(repeating: -1, count: fieldCapacity)
        failed = .allocate(capacity: fieldCapacity)
        failed.initialize(repeating: false, count: fieldCapacity)
    }

    deinit {
        keyBuffer.deallocate()
        trimmed.deallocate()
        present.deallocate()
        values.deallocate()
        valueOK.deallocate()
        columns.deallocate()
        failed.deallocate()
    }

    // MARK: RowContext

    @inline(__always) func cell(_ field: Int) -> UnsafeBufferPointer<UInt8>? { present[field] ? trimmed[field] : nil }
    @inline(__always) func value(_ field: Int) -> Int64? { valueOK[field] ? values[field] : nil }
    func fieldName(_ field: Int) -> String { fields[field].name }
    func catalogSeverity(_ code: FindingCode) -> Severity { pipelines.catalog.severity(code) }

    func report(_ code: FindingCode, severity: Severity, field: Int?, _ message: @autoclosure () -> String) {
        guard let record else { return }
        if severity == .error {
            rowHasError = true
        }
        if !rowCodes.contains(code) { rowCodes.append(code) }
        collector.add(code, severity) {
            var f = Finding(code: code, severity: severity, rowNumber: record.rowNumber, line: record.line, message: message(), keys: rowKeys())
            if let field {
                f.fieldName = fields[field].name
                let col = fields[field].column
                if col >= 0 {
                    f.fieldNumber = col + 1
                    if col < record.storedCount { f.cell = displayString(record.cell(col)) }
                }
            }
            return f
        }
    }

    /// A row finding about a column by position (no schema field).
    private func reportColumn(_ code: FindingCode, _ severity: Severity, column: Int?, label: String?, cell: String?, _ message: String) {
        guard let record else { return }
        if severity == .error { rowHasError = true }
        if !rowCodes.contains(code) { rowCodes.append(code) }
        collector.add(code, severity) {
            Finding(code: code, severity: severity, rowNumber: record.rowNumber, line: record.line, fieldName: label,
                    fieldNumber: column.map { $0 + 1 }, cell: cell, message: message, keys: rowKeys())
        }
    }

    private func rowKeys() -> [(String, String)] {
        guard let record, sawHeader, !readingHeader else { return [] }
        var out: [(String, String)] = []
        for k in keyFields {
            let col = fields[k].column
            guard col >= 0, col < record.storedCount else { continue }
            let c = record.cell(col).trimmed()
            if c.count > 0 { out.append((fields[k].name, displayString(c, limit: 60))) }
        }
        return out
    }

    // MARK: RecordSink

    func consume(_ r: RecordView) {
        record = r
        defer { record = nil }
        if r.isBlank || isAllEmpty(r) {
            blankRows += 1
            reportColumn(.blankRow, catalogSeverity(.blankRow), column: nil, label: nil, cell: nil,
                         "row \(r.rowNumber) is blank; it is skipped (delete it)")
            return
        }
        if !sawHeader {
            readHeader(r)
            return
        }
        rows += 1
        rowHasError = false
        if !rowCodes.isEmpty { rowCodes.removeAll(keepingCapacity: true) }
        let accepted = checkRow(r)
        if rowHasError {
            rowsRejected += 1
            writeReject(r)
        } else if accepted, let onAcceptedRow {
            onAcceptedRow(self)
        }
    }

    private func isAllEmpty(_ r: RecordView) -> Bool {
        if r.defect != nil { return false }
        // libcsv already trims unquoted cells; only quoted spaces can remain.
        for i in 0..<r.storedCount {
            for b in r.cell(i) where !isASCIISpace(b) { return false }
        }
        return r.storedCount > 0 || r.cellCount == 0
    }

    // MARK: Header

    private func readHeader(_ r: RecordView) {
        sawHeader = true
        readingHeader = true
        defer { readingHeader = false }
        header = (0..<r.storedCount).map { r.cell($0).trimmed().string() }
        headerCount = r.cellCount
        if let defect = r.defect {
            reportDefect(defect, r)
        }
        if schema == nil { schema = guessFamily() }
        guard let schema else {
            checkRows = false
            reportColumn(.sourceError, .error, column: nil, label: nil, cell: nil,
                         "the header matches no return family (\(pipelines.families.keys.sorted().joined(separator: ", "))): is this a return? Name the file by the convention or give --partner")
            return
        }
        fields = schema.fields.map(CompiledField.init)
        keyFields = schema.keys.compactMap(schema.index(of:))
        primaryKey = schema.primaryKey.compactMap(schema.index(of:))
        uniqueFields = fields.indices.filter { schema.fields[$0].constraints.unique && !(primaryKey == [$0]) }
        uniqueIndexes = uniqueFields.map { _ in HashIndex(capacity: 1 << 12) }
        rules = CompiledRules(schema, pipelines: pipelines, quarter: quarter)
        rulesRef = rules.map { Unmanaged.passUnretained($0) }
        keyBuffer.deallocate()
        keyBuffer = .allocate(capacity: primaryKey.count)
        _ = keyBuffer.initialize(from: primaryKey)
        // Keep one cell past the header so an extra cell can be shown.
        reader.maxStoredCells = max(headerCount, 1) + 1

        let sev = catalogSeverity
        var folded: [[UInt8]: Int] = [:]
        for (i, f) in fields.enumerated() { folded[foldForMatching(f.name)] = i }
        var claimed = Set<Int>()
        for (col, label) in header.enumerated() {
            if label.isEmpty {
                reportColumn(.blankLabel, sev(.blankLabel), column: col, label: nil, cell: "",
                             "column \(col + 1) has no name; its cells are ignored")
                continue
            }
            if let i = schema.index(of: label) {
                if fields[i].column >= 0 {
                    reportColumn(.duplicateLabel, sev(.duplicateLabel), column: col, label: label, cell: label,
                                 "column \(col + 1) '\(label)' repeats column \(fields[i].column + 1); the later one is ignored")
                } else {
                    fields[i].column = col
                    claimed.insert(i)
                }
            }
        }
        for (col, label) in header.enumerated() where !label.isEmpty && schema.index(of: label) == nil {
            if let i = folded[foldForMatching(label)], fields[i].column < 0 {
                fields[i].column = col
                claimed.insert(i)
                reportColumn(.missingLabel, sev(.missingLabel), column: col, label: fields[i].name, cell: label,
                             "column \(col + 1) is headed '\(label)' but must be named exactly '\(fields[i].name)'; rename it (its cells were checked as \(fields[i].name))")
            } else {
                reportColumn(.extraLabel, sev(.extraLabel), column: col, label: label, cell: label,
                             "column \(col + 1) '\(label)' is not a \(schema.name) column (expected: \(schema.fields.map(\.name).joined(separator: ", ")))")
            }
        }
        for f in fields where f.column < 0 {
            reportColumn(.missingLabel, f.required ? sev(.missingLabel) : .warning, column: nil, label: f.name, cell: nil,
                         f.required ? "required column '\(f.name)' is missing from the header" : "optional column '\(f.name)' is missing from the header; add it, empty if need be")
        }
        if claimed.isEmpty { checkRows = false }
        for (i, f) in fields.enumerated() { columns[i] = f.column }
        let compiled = CellPlans(fields)
        plans = compiled
        planBase = compiled.plans
        planCount = compiled.count
    }

    /// With no partner known, the family whose columns best match the header.
    private func guessFamily() -> FamilySchema? {
        let labels = Set(header)
        let best = pipelines.families.values.map { f in (f, f.fields.filter { labels.contains($0.name) }.count) }
            .max { ($0.1, $1.0.name) < ($1.1, $0.0.name) }
        guard let best, best.1 > 0 else { return nil }
        return best.0
    }

    // MARK: Rows

    private func reportDefect(_ defect: RecordDefect, _ r: RecordView) {
        let sev = catalogSeverity(.formatError)
        switch defect {
        case .malformedQuote(let cellIndex, let problem):
            reportColumn(.formatError, sev, column: cellIndex, label: label(cellIndex), cell: cellText(r, cellIndex),
                         "line \(r.endLine), cell \(cellIndex + 1): \(problem.advice); the rest of the line could not be read")
        case .unclosedQuote(let cellIndex):
            reportColumn(.formatError, sev, column: cellIndex, label: label(cellIndex), cell: cellText(r, cellIndex),
                         "cell \(cellIndex + 1) opens a quote on line \(r.line) that is never closed, so the rest of the file (to line \(r.endLine)) is inside it; close the quote")
        case .cellTooLarge(let cellIndex, let bytes):
            reportColumn(.formatError, sev, column: cellIndex, label: label(cellIndex), cell: cellText(r, cellIndex),
                         "cell \(cellIndex + 1) is \(formatBytes(Int64(bytes))) or more, over the \(formatBytes(Int64(reader.limits.maxCellBytes))) limit (an unclosed quote?); the rest of line \(r.endLine) was skipped")
        }
    }

    private func label(_ col: Int) -> String? { col < header.count ? header[col] : nil }

    private func cellText(_ r: RecordView, _ col: Int) -> String? {
        col < r.storedCount ? displayString(r.cell(col), limit: 80) : nil
    }

    /// Checks one data row; false when it cannot be taken further (unreadable,
    /// no usable header, or a duplicate of an earlier row).
    @discardableResult
    private func checkRow(_ r: RecordView) -> Bool {
        if let defect = r.defect {
            reportDefect(defect, r)
            return false
        }
        guard checkRows else { return false }
        if !r.invalidUTF8Cells.isEmpty {
            for col in r.invalidUTF8Cells {
                reportColumn(.encodingError, catalogSeverity(.encodingError), column: col, label: label(col), cell: displayString(r.cell(col), limit: 80),
                             "\(label(col) ?? "cell \(col + 1)") is not UTF-8 text (the file was probably saved as Latin-1 or Windows-1252): save it as \"CSV UTF-8\"")
            }
        }
        if r.cellCount > headerCount {
            reportColumn(.extraCell, catalogSeverity(.extraCell), column: headerCount, label: nil, cell: cellText(r, headerCount),
                         "row has \(r.cellCount) cells but the header has \(headerCount) columns (an unquoted comma in a value?)")
        } else if r.cellCount < headerCount {
            reportColumn(.missingCell, catalogSeverity(.missingCell), column: r.cellCount, label: label(r.cellCount), cell: nil,
                         "row has \(r.cellCount) cells but the header has \(headerCount) columns")
        }
        guard let plan = planBase else { return false }
        let n = planCount
        let invalidUTF8 = r.invalidUTF8Cells
        let storedCount = min(r.storedCount, r.cellCount)
        // The key's cells first, so its identity slot is fetched from memory
        // while the other cells are checked.
        for k in keyBuffer { locate(k, r, storedCount) }
        let key = primaryKeyHash(r)
        identity.prefetch(key: key)
        var anyFailed = false
        for i in 0..<n {
            failed[i] = false
            valueOK[i] = false
            locate(i, r, storedCount)
            guard present[i] else { continue }
            if !invalidUTF8.isEmpty && invalidUTF8.contains(columns[i]) { continue }
            if plan[i].acceptsAnyText {
                // What `check` answers for such a field, without the call.
                if trimmed[i].count > 0 {
                    values[i] = 0
                    valueOK[i] = true
                } else if plan[i].required {
                    failed[i] = true
                    anyFailed = true
                }
                continue
            }
            switch CellPlan.check(plan + i, trimmed[i], pivotYear: pivotYear) {
            case .empty: break
            case .ok(let v):
                values[i] = v
                valueOK[i] = true
            case .fail:
                failed[i] = true
                anyFailed = true
            }
        }
        // One index answers both: an exact copy of an earlier row (counted
        // once, not checked again) and a reused primary key.
        var keyClash: Int?
        switch identity.insert(key: key, content: r.contentHash, rowNumber: r.rowNumber) {
        case .first: break
        case .duplicateRow(let first):
            // A row already rejected for its shape is rejected, not a copy
            // to count once: both had put it in the lineage twice.
            if rowHasError { break }
            reportColumn(.duplicateRow, catalogSeverity(.duplicateRow), column: nil, label: nil, cell: nil,
                         "row is an exact copy of row \(first); it will be counted once (delete the copy)")
            onDuplicateRow?(r.rowNumber, first)
            return false
        case .duplicateKey(let first): keyClash = first
        }
        if anyFailed {
            // Rare: the full check says why, with the message.
            for i in 0..<n where failed[i] {
                switch fields[i].check(trimmed[i], pivotYear: pivotYear) {
                case .empty: break
                case .ok(let v):
                    values[i] = v
                    valueOK[i] = true
                case .problem(let code, let message):
                    report(code, severity: catalogSeverity(code), field: i, message)
                }
            }
        }
        if let keyClash {
            let names = primaryKey.map { fields[$0].name }.joined(separator: " + ")
            report(.primaryKey, severity: catalogSeverity(.primaryKey), field: primaryKey[0],
                   "\(names) '\(primaryKey.map { displayString(trimmed[$0]) }.joined(separator: " + "))' is already used by row \(keyClash); each row needs its own \(names)")
        }
        if !uniqueFields.isEmpty { checkUnique(r) }
        rulesRef?._withUnsafeGuaranteedRef { $0.check(self) }
        return true
    }

    /// Points field `i` at its trimmed cell in this row, if the row has it.
    @inline(__always) private func locate(_ i: Int, _ r: RecordView, _ storedCount: Int) {
        let col = columns[i]
        if col >= 0 && col < storedCount {
            present[i] = true
            trimmed[i] = r.cell(col).trimmed()
        } else {
            present[i] = false
        }
    }

    /// The primary key's hash; a row with part of its key empty (already a
    /// required-field error) is keyed by its content so that only exact
    /// copies of it match.
    private func primaryKeyHash(_ r: RecordView) -> UInt64 {
        var h: UInt64 = 0x1234_5678
        if keyBuffer.isEmpty { return r.contentHash ^ 0x5BD1_E995_5BD1_E995 }
        for k in keyBuffer {
            guard present[k], trimmed[k].count > 0 else { return r.contentHash ^ 0x5BD1_E995_5BD1_E995 }
            h = mixHash(h ^ hashBytes(UnsafeRawPointer(trimmed[k].baseAddress), trimmed[k].count))
        }
        return h
    }

    private func checkUnique(_ r: RecordView) {
        for (j, f) in uniqueFields.enumerated() where present[f] && trimmed[f].count > 0 {
            if let first = uniqueIndexes[j].insert(hashBytes(UnsafeRawPointer(trimmed[f].baseAddress), trimmed[f].count), row: r.rowNumber) {
                report(.constraintError, severity: catalogSeverity(.constraintError), field: f,
                       "\(fields[f].name) '\(displayString(trimmed[f]))' must be unique but is also in row \(first)")
            }
        }
    }

    // MARK: Rejects

    private func writeReject(_ r: RecordView) {
        guard let rejectsPath, outputProblem == nil else { return }
        do {
            if rejects == nil {
                let labels = header.enumerated().map { $1.isEmpty ? "column_\($0 + 1)" : $1 }
                rejects = try CSVOutput(path: rejectsPath, header: ["rowNumber", "codes"] + labels)
            }
            let codes = rowCodes.map(\.rawValue).joined(separator: ";")
            let n = min(r.storedCount, headerCount)
            try rejects!.writeRow { row in
                row.add(r.rowNumber)
                row.add(codes)
                for i in 0..<n { row.add(r.cell(i)) }
            }
        } catch {
            outputProblem = "\(error)"
        }
    }

    /// Finishes the rejects file; with no rejected rows it holds the header only.
    func commitRejects() {
        guard let rejectsPath, outputProblem == nil else { return }
        do {
            if rejects == nil {
                let labels = header.enumerated().map { $1.isEmpty ? "column_\($0 + 1)" : $1 }
                rejects = try CSVOutput(path: rejectsPath, header: ["rowNumber", "codes"] + labels)
            }
            try rejects!.commit()
        } catch {
            outputProblem = "\(error)"
        }
    }
}
