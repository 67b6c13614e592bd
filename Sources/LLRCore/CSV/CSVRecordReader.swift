import CLibCSV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Guard rails for hostile files; every limit hit becomes a located finding.
public struct ReadLimits: Sendable {
    public var maxCellBytes: Int = 1 << 20
    public var maxDecompressedBytes: Int64 = 4 << 30
    public init(maxCellBytes: Int = 1 << 20, maxDecompressedBytes: Int64 = 4 << 30) {
        self.maxCellBytes = maxCellBytes
        self.maxDecompressedBytes = maxDecompressedBytes
    }
}

/// What went wrong with one record while reading it, if anything.
public enum RecordDefect: Equatable, Sendable {
    /// libcsv (strict mode) rejected the text at `cellIndex`.
    case malformedQuote(cellIndex: Int, problem: QuoteProblem)
    /// A quoted cell was still open at the end of the file.
    case unclosedQuote(cellIndex: Int)
    /// A cell over the size limit; the rest of its physical line was skipped.
    case cellTooLarge(cellIndex: Int, bytes: Int)
}

public enum QuoteProblem: Equatable, Sendable {
    /// `ab"c`: a quote inside a cell that does not start with one.
    case quoteInUnquotedCell
    /// `"ab"c`: text after the closing quote.
    case textAfterClosingQuote

    public var advice: String {
        switch self {
        case .quoteInUnquotedCell: return "a quote (\") inside a cell that does not start with a quote; quote the whole cell and double the inner quote"
        case .textAfterClosingQuote: return "text follows a closing quote; a quote inside a quoted cell must be doubled (\"\")"
        }
    }
}

/// One record as parsed, valid only inside `RecordSink.consume`. It holds no
/// references, so handing it on costs no reference counting. Cells past
/// `storedCount` were counted but not kept (more columns than the header).
public struct RecordView {
    public let rowNumber: Int
    /// Physical line where the record starts, and where it ends.
    public let line: Int
    public let endLine: Int
    public let cellCount: Int
    public let storedCount: Int
    public let isBlank: Bool
    public let defect: RecordDefect?
    /// Indexes of stored cells that are not valid UTF-8 (usually empty).
    public let invalidUTF8Cells: UnsafeBufferPointer<Int>
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let starts: UnsafePointer<Int32>

    @inlinable public func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let s = Int(starts[i])
        return UnsafeBufferPointer(start: base + s, count: Int(starts[i + 1]) - s)
    }

    /// All stored cells, back to back.
    @inlinable public var storedBytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base, count: Int(starts[storedCount]))
    }

    /// A hash of the whole row, cell boundaries included, so that `a,bc`
    /// and `ab,c` differ: equal rows have equal hashes.
    public var contentHash: UInt64 {
        let body = hashBytes(UnsafeRawPointer(base), Int(starts[storedCount]), seed: UInt64(truncatingIfNeeded: cellCount) &* 0x9E37_79B9_7F4A_7C15)
        let shape = hashBytes(UnsafeRawPointer(starts), 4 * (storedCount + 1))
        return mixHash(body ^ (shape &* 0x2545_F491_4F6C_DD1D))
    }
}

public protocol RecordSink: AnyObject {
    func consume(_ record: RecordView)
}

/// The record being assembled. libcsv's field callback writes here through a
/// plain pointer, so the per-cell path has no reference counting and no
/// exclusivity checks.
struct RecordState {
    var arena: UnsafeMutablePointer<UInt8>
    var arenaCapacity: Int
    var starts: UnsafeMutablePointer<Int32>
    var startsCapacity: Int
    var cellCount = 0
    var storedCount = 0
    var maxStoredCells = 4096
    let maxCellBytes: Int
    var lineHadContent = false
    var defect: RecordDefect?
    var invalidCells: UnsafeMutablePointer<Int>
    var invalidCount = 0
    var invalidCapacity = 16
    /// Whether the record's text so far has any non-ASCII byte; when not,
    /// the per-cell UTF-8 check is skipped.
    var mayHaveNonASCII = false
    let owner: Unmanaged<CSVRecordReader>

    init(maxCellBytes: Int, owner: Unmanaged<CSVRecordReader>) {
        self.maxCellBytes = maxCellBytes
        self.owner = owner
        arenaCapacity = 64 * 1024
        arena = .allocate(capacity: arenaCapacity)
        startsCapacity = 4098
        starts = .allocate(capacity: startsCapacity)
        starts[0] = 0
        invalidCells = .allocate(capacity: invalidCapacity)
    }

    mutating func addCell(_ p: UnsafeRawPointer?, _ n: Int) {
        lineHadContent = true
        let index = cellCount
        cellCount += 1
        if n > maxCellBytes && defect == nil {
            defect = .cellTooLarge(cellIndex: index, bytes: n)
        }
        guard index < maxStoredCells else { return }
        let keep = n > maxCellBytes ? 256 : n
        let used = Int(starts[storedCount])
        if used + keep > arenaCapacity { growArena(used + keep) }
        if keep > 0, let p {
            (arena + used).update(from: p.assumingMemoryBound(to: UInt8.self), count: keep)
            if mayHaveNonASCII && !UTF8Check.isASCII(arena + used, keep) && UTF8Check.firstInvalid(arena + used, keep) != nil {
                if invalidCount == invalidCapacity {
                    let fresh = UnsafeMutablePointer<Int>.allocate(capacity: invalidCapacity * 2)
                    fresh.update(from: invalidCells, count: invalidCount)
                    invalidCells.deallocate()
                    invalidCells = fresh
                    invalidCapacity *= 2
                }
                invalidCells[invalidCount] = index
                invalidCount += 1
            }
        }
        if storedCount + 2 > startsCapacity { growStarts() }
        storedCount += 1
        starts[storedCount] = Int32(used + keep)
    }

    mutating func reset() {
        cellCount = 0
        storedCount = 0
        defect = nil
        invalidCount = 0
    }

    mutating func growArena(_ need: Int) {
        var cap = arenaCapacity
        while cap < need { cap *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
        fresh.update(from: arena, count: Int(starts[storedCount]))
        arena.deallocate()
        arena = fresh
        arenaCapacity = cap
    }

    mutating func growStarts() {
        let cap = startsCapacity * 2
        let fresh = UnsafeMutablePointer<Int32>.allocate(capacity: cap)
        fresh.update(from: starts, count: storedCount + 1)
        starts.deallocate()
        starts = fresh
        startsCapacity = cap
    }
}

/// Streams records out of a `ReturnByteStream` with libcsv in strict mode.
/// libcsv knows neither record numbers nor lines, so the input is fed one
/// physical line at a time and both are counted here.
public final class CSVRecordReader {
    public let limits: ReadLimits
    /// Cells kept per record; later cells are only counted. Raised or
    /// lowered by the sink once it has seen the header.
    public var maxStoredCells: Int {
        get { state.pointee.maxStoredCells }
        set { state.pointee.maxStoredCells = newValue }
    }
    public private(set) var rowsEmitted = 0
    public private(set) var linesRead = 0

    private let parserPointer: UnsafeMutablePointer<csv_parser>
    private var parser: csv_parser {
        get { parserPointer.pointee }
        set { parserPointer.pointee = newValue }
    }
    private unowned(unsafe) var sink: RecordSink!
    private let state: UnsafeMutablePointer<RecordState>

    // Line bookkeeping.
    private var currentLine = 1
    private var recordStartLine = 1
    private var skippingToLineEnd = false

    public init(limits: ReadLimits = ReadLimits()) {
        self.limits = limits
        parserPointer = .allocate(capacity: 1)
        parserPointer.initialize(to: csv_parser())
        state = .allocate(capacity: 1)
        state.initialize(to: RecordState(maxCellBytes: limits.maxCellBytes, owner: Unmanaged.passUnretained(self)))
        csv_init(parserPointer, UInt8(CSV_STRICT | CSV_STRICT_FINI))
        // libcsv grows its cell buffer by blk_size; the default 128 bytes makes
        // a large cell quadratic, so grow in 64 KiB steps.
        csv_set_blk_size(parserPointer, 64 * 1024)
    }

    deinit {
        csv_free(parserPointer)
        parserPointer.deallocate()
        state.pointee.arena.deallocate()
        state.pointee.starts.deallocate()
        state.pointee.invalidCells.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Reads the whole stream into `sink`. Returns the problem that stopped
    /// reading early (corrupt gzip, binary content…), or nil at a clean end.
    public func read(_ stream: ByteSource, into sink: RecordSink) -> SourceProblem? {
        self.sink = sink
        let capacity = 256 * 1024
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var first = true
        while true {
            let n: Int
            do { n = try stream.read(into: buffer, capacity: capacity) } catch {
                finish()
                return error
            }
            if n == 0 { break }
            var start = 0
            if first {
                first = false
                if let problem = sniff(buffer, n) { return problem }
                if n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
            }
            feed(buffer + start, n - start)
        }
        finish()
        return nil
    }

    /// Content that cannot be CSV text at all stops the read at once.
    private func sniff(_ p: UnsafePointer<UInt8>, _ n: Int) -> SourceProblem? {
        if n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)) {
            return SourceProblem(.encoding, "the file is UTF-16 (\"Unicode Text\"), not UTF-8: save it as \"CSV UTF-8\"")
        }
        if memchr(p, 0, min(n, 8192)) != nil {
            return SourceProblem(.source, "the file holds binary data, not CSV text: export the return as CSV")
        }
        return nil
    }

    private func feed(_ p: UnsafePointer<UInt8>, _ n: Int) {
        var pos = 0
        while pos < n {
            let rest = n - pos
            let nl = memchr(p + pos, 0x0A, rest)
            let pieceEnd = nl.map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - p + 1 } ?? n
            let endsLine = nl != nil
            if skippingToLineEnd {
                // Rest of a line whose cell blew the size limit: discard it.
                if endsLine { skippingToLineEnd = false; endLine() }
                pos = pieceEnd
                continue
            }
            if parserPointer.pointee.pstate == 0 {
                recordStartLine = currentLine
                state.pointee.mayHaveNonASCII = false
            }
            let len = pieceEnd - pos
            if !state.pointee.mayHaveNonASCII && !UTF8Check.isASCII(p + pos, len) { state.pointee.mayHaveNonASCII = true }
            let used = csv_parse(parserPointer, p + pos, len, fieldCallback, recordCallback, UnsafeMutableRawPointer(state))
            if used < len && csv_error(parserPointer) == CSV_EPARSE {
                parseError()
                // Resume at the next line; the remains of this one are unreadable.
                if !endsLine { skippingToLineEnd = true }
            } else if parserPointer.pointee.entry_pos > limits.maxCellBytes {
                oversizeCell(Int(parserPointer.pointee.entry_pos))
                if !endsLine { skippingToLineEnd = true }
            }
            if parserPointer.pointee.pstate != 0 { state.pointee.lineHadContent = true }
            if endsLine { endLine() }
            pos = pieceEnd
        }
    }

    private func endLine() {
        if !state.pointee.lineHadContent && parser.pstate == 0 {
            // A line with nothing on it but spaces: libcsv skips it silently,
            // but it still occupies a spreadsheet row the partner can see.
            emit(blank: true)
        }
        currentLine += 1
        linesRead += 1
        state.pointee.lineHadContent = false
    }

    private func finish() {
        if skippingToLineEnd { skippingToLineEnd = false }
        if parser.pstate == 2 && parser.quoted != 0 {
            // libcsv's STRICT_FINI check: the last quoted cell never closed.
            state.pointee.defect = .unclosedQuote(cellIndex: state.pointee.cellCount)
            appendPartialCell()
            resetParser()
            emit(blank: false)
        } else {
            csv_fini(parserPointer, fieldCallback, recordCallback, UnsafeMutableRawPointer(state))
        }
        if state.pointee.lineHadContent { linesRead += 1 }
    }

    private func resetParser() {
        parserPointer.pointee.pstate = 0
        parserPointer.pointee.quoted = 0
        parserPointer.pointee.spaces = 0
        parserPointer.pointee.entry_pos = 0
        parserPointer.pointee.status = 0
    }

    private func parseError() {
        let problem: QuoteProblem = parserPointer.pointee.pstate == 3 ? .textAfterClosingQuote : .quoteInUnquotedCell
        state.pointee.defect = .malformedQuote(cellIndex: state.pointee.cellCount, problem: problem)
        appendPartialCell()
        resetParser()
        emit(blank: false)
    }

    private func oversizeCell(_ bytes: Int) {
        state.pointee.defect = .cellTooLarge(cellIndex: state.pointee.cellCount, bytes: bytes)
        appendPartialCell()
        resetParser()
        emit(blank: false)
    }

    /// Keeps a prefix of the cell libcsv was building so reports can show it.
    private func appendPartialCell() {
        let n = min(Int(parserPointer.pointee.entry_pos), 256)
        // Keeps the defect already recorded: the prefix is under the size limit.
        state.pointee.addCell(parserPointer.pointee.entry_buf.map(UnsafeRawPointer.init), parserPointer.pointee.entry_buf == nil ? 0 : n)
    }

    fileprivate func endRecord() {
        emit(blank: false)
        recordStartLine = currentLine
    }

    private func emit(blank: Bool) {
        rowsEmitted += 1
        let st = state.pointee
        let view = RecordView(
            rowNumber: rowsEmitted, line: blank ? currentLine : recordStartLine, endLine: currentLine,
            cellCount: st.cellCount, storedCount: st.storedCount, isBlank: blank, defect: st.defect,
            invalidUTF8Cells: UnsafeBufferPointer(start: st.invalidCells, count: st.invalidCount), base: st.arena, starts: st.starts)
        sink.consume(view)
        state.pointee.reset()
    }
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { s, len, data in
    data!.assumingMemoryBound(to: RecordState.self).pointee.addCell(s.map(UnsafeRawPointer.init), len)
}

private let recordCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, data in
    data!.assumingMemoryBound(to: RecordState.self).pointee.owner._withUnsafeGuaranteedRef { $0.endRecord() }
}
