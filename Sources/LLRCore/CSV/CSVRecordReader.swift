import CLibCSV
import CLLRSupport
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
    /// Whether a stored cell holds a comma (a quoted cell can): only then
    /// do the stored bytes, cells and separators, not say where cells end.
    public let commaInCell: Bool
    /// Indexes of stored cells that are not valid UTF-8 (usually empty).
    public let invalidUTF8Cells: UnsafeBufferPointer<Int>
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let starts: UnsafePointer<Int32>

    /// Cell `i`: it starts at `starts[i]` and ends one byte before
    /// `starts[i + 1]`, the byte between being a separator (so a quote-free
    /// line is stored as it came, its commas the separators).
    @inlinable public func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let s = Int(starts[i])
        return UnsafeBufferPointer(start: base + s, count: Int(starts[i + 1]) - 1 - s)
    }

    /// A hash of the whole row, cell boundaries included, so that `a,bc`
    /// and `ab,c` differ: equal rows have equal hashes. The stored bytes
    /// carry a separator after each cell, so they alone fix the cells unless
    /// a cell holds a comma; then the cell offsets are hashed too.
    public var contentHash: UInt64 {
        let counts = UInt64(truncatingIfNeeded: cellCount) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: storedCount)
        let body = hashBytesWide(UnsafeRawPointer(base), Int(starts[storedCount]), seed: counts)
        guard commaInCell else { return body }
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
    var defect: RecordDefect?
    /// Physical line being read, where the current record started, and
    /// whether the last record ended on a carriage return (so the line feed
    /// of a CRLF pair is not taken for a blank line).
    var currentLine = 1
    var recordStartLine = 1
    var recordEndLine = 1
    var lastTerminatorWasCR = false
    /// Whether cells may hold line breaks (the chunk has a quote); when not,
    /// cells are not scanned for them.
    var scanForNewlines = false
    /// Whether a cell of this record holds a comma (see `RecordView.commaInCell`).
    var commaInCell = false
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

    /// Line bookkeeping for a cell about to be added: a record starts at its
    /// first cell, and quoted line breaks inside a cell move the line on.
    @inline(__always) mutating func noteCell(_ p: UnsafeRawPointer?, _ n: Int) {
        if cellCount == 0 { recordStartLine = currentLine }
        lastTerminatorWasCR = false
        if scanForNewlines, let p, n > 0 { currentLine += countLineFeeds(p, n) }
    }

    mutating func addCell(_ p: UnsafeRawPointer?, _ n: Int) {
        let index = cellCount
        cellCount += 1
        if n > maxCellBytes && defect == nil {
            defect = .cellTooLarge(cellIndex: index, bytes: n)
        }
        guard index < maxStoredCells else { return }
        let keep = n > maxCellBytes ? 256 : n
        let used = Int(starts[storedCount])
        if used + keep + 1 > arenaCapacity { growArena(used + keep + 1) }
        if keep > 0, let p {
            (arena + used).update(from: p.assumingMemoryBound(to: UInt8.self), count: keep)
            if mayHaveNonASCII { checkUTF8(index, arena + used, keep) }
            if !commaInCell && memchr(arena + used, 0x2C, keep) != nil { commaInCell = true }
        }
        arena[used + keep] = 0x2C
        if storedCount + 2 > startsCapacity { growStarts() }
        storedCount += 1
        starts[storedCount] = Int32(used + keep + 1)
    }

    /// Notes cell `index` if its bytes are not valid UTF-8.
    @inline(__always) mutating func checkUTF8(_ index: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0, !UTF8Check.isASCII(p, n), UTF8Check.firstInvalid(p, n) != nil else { return }
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

    /// The UTF-8 check of every stored cell, for a record stored whole.
    mutating func flagInvalidUTF8Cells() {
        for i in 0..<storedCount {
            let s = Int(starts[i])
            checkUTF8(i, arena + s, Int(starts[i + 1]) - 1 - s)
        }
    }

    /// What a record terminator from libcsv (`c` is CR, LF, or -1 at the end)
    /// means: a record, a blank line, or the LF of a CRLF pair.
    enum Terminated { case record, blank, nothing }

    mutating func terminate(_ c: Int32) -> Terminated {
        let isLineEnd = c == 0x0D || c == 0x0A
        if cellCount == 0 {
            if c == 0x0A && lastTerminatorWasCR {
                lastTerminatorWasCR = false
                return .nothing
            }
            if !isLineEnd { return .nothing }
            recordStartLine = currentLine
            recordEndLine = currentLine
            currentLine += 1
            lastTerminatorWasCR = c == 0x0D
            return .blank
        }
        recordEndLine = currentLine
        if isLineEnd { currentLine += 1 }
        lastTerminatorWasCR = c == 0x0D
        return .record
    }

    mutating func reset() {
        cellCount = 0
        storedCount = 0
        defect = nil
        invalidCount = 0
        commaInCell = false
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
    /// Physical lines read so far (for locating a problem in the stream).
    public var linesRead: Int { state.pointee.currentLine - 1 }

    private let parserPointer: UnsafeMutablePointer<csv_parser>
    private unowned(unsafe) var sink: RecordSink!
    private let state: UnsafeMutablePointer<RecordState>
    private var skippingToLineEnd = false
    /// Lines without quotes are split here rather than by libcsv (the same
    /// cells; off only in the test that compares the two).
    var splitsPlainLines = true

    public init(limits: ReadLimits = ReadLimits()) {
        self.limits = limits
        parserPointer = .allocate(capacity: 1)
        parserPointer.initialize(to: csv_parser())
        state = .allocate(capacity: 1)
        state.initialize(to: RecordState(maxCellBytes: limits.maxCellBytes, owner: Unmanaged.passUnretained(self)))
        // Strict quoting; and every line end reported, so that blank lines
        // keep their row numbers as a spreadsheet shows them.
        csv_init(parserPointer, UInt8(CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL))
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
            feed(buffer + start, n - start, sink: sink)
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

    /// Reads one chunk: quote-free lines through `readPlainLines`, the rest
    /// through libcsv, whose callbacks count records, lines and blank lines.
    private func feed(_ p: UnsafePointer<UInt8>, _ n: Int, sink: RecordSink) {
        let parser = parserPointer
        var pos = 0
        var flagsSet = false
        // Lines libcsv has taken in a row: a file that quotes every cell
        // goes to libcsv a chunk at a time instead of line by line.
        var libcsvLines = 0
        while pos < n {
            if skippingToLineEnd {
                // The rest of a line that could not be read: discard it.
                guard let nl = lineFeed(p, from: pos, to: n) else { return }
                pos = nl + 1
                skippingToLineEnd = false
                state.pointee.currentLine += 1
                state.pointee.lastTerminatorWasCR = false
                continue
            }
            if !flagsSet {
                // Cells need scanning for line breaks only where quotes can
                // hold them, and for bad UTF-8 only where a byte is not ASCII;
                // a record still open from the last chunk keeps its flags.
                flagsSet = true
                let inQuotedCell = (parser.pointee.pstate == 2 && parser.pointee.quoted != 0) || parser.pointee.pstate == 3
                let recordOpen = parser.pointee.pstate != 0
                state.pointee.scanForNewlines = inQuotedCell || memchr(p + pos, 0x22, n - pos) != nil
                state.pointee.mayHaveNonASCII = !UTF8Check.isASCII(p + pos, n - pos) || (recordOpen && state.pointee.mayHaveNonASCII)
            }
            if splitsPlainLines && parser.pointee.pstate == 0 && libcsvLines < 16 {
                let from = pos
                pos = readPlainLines(p, from: pos, to: n, sink: sink)
                if pos == n { break }
                if pos > from { libcsvLines = 0 }
            }
            // libcsv takes what the plain path cannot: a line with a quote
            // or a bare carriage return, a record still open, or a line the
            // chunk cut. One line at a time, so the plain path resumes as
            // soon as the record closes; the rest of the chunk once sixteen
            // lines running needed it, or without the plain path.
            var end = n
            if splitsPlainLines && libcsvLines < 16, let nl = lineFeed(p, from: pos, to: n) { end = nl + 1 }
            libcsvLines += 1
            let len = end - pos
            let used = csv_parse(parser, p + pos, len, fieldCallback, recordCallback, UnsafeMutableRawPointer(state))
            if used < len && csv_error(parser) == CSV_EPARSE {
                parseError()
                skippingToLineEnd = true
                pos += used
                continue
            }
            pos = end
        }
        if parser.pointee.entry_pos > limits.maxCellBytes {
            oversizeCell(Int(parser.pointee.entry_pos))
            skippingToLineEnd = true
        }
    }

    /// Splits whole lines that hold no quote into cells exactly as libcsv
    /// would (cells end at commas; spaces and tabs around a cell are
    /// trimmed; a line of only spaces is blank; CRLF ends a record as CR
    /// then LF), sixteen bytes at a time, without libcsv's per-byte state
    /// machine and callbacks: most lines of a return have no quote, and
    /// reading them was most of the cost of validating. Returns
    /// where it stopped: the chunk's end, or the start of a line libcsv
    /// takes instead (a quote, a bare CR, no line end before the chunk's, a
    /// line longer than the record buffer, or more cells than are kept).
    private func readPlainLines(_ p: UnsafePointer<UInt8>, from start: Int, to n: Int, sink: RecordSink) -> Int {
        let st = state
        var lineStart = start
        while lineStart < n {
            guard let lineEnd = lineFeed(p, from: lineStart, to: n) else { return lineStart }
            var contentEnd = lineEnd
            let crlf = contentEnd > lineStart && p[contentEnd - 1] == 0x0D
            if crlf { contentEnd -= 1 }
            let length = contentEnd - lineStart
            if length >= st.pointee.arenaCapacity || length > st.pointee.maxCellBytes { return lineStart }
            let cells = llr_split_plain_line(p + lineStart, length, st.pointee.arena, st.pointee.starts,
                                             min(st.pointee.maxStoredCells, st.pointee.startsCapacity - 1))
            if cells < 0 { return lineStart }
            if cells > 0 {
                st.pointee.cellCount = cells
                st.pointee.storedCount = cells
                st.pointee.recordStartLine = st.pointee.currentLine
                st.pointee.lastTerminatorWasCR = false
                // Cells end at ASCII commas, so a line that is valid UTF-8
                // has no invalid cell: one check of the line is enough.
                if st.pointee.mayHaveNonASCII && !UTF8Check.isASCII(p + lineStart, length)
                    && UTF8Check.firstInvalid(p + lineStart, length) != nil {
                    st.pointee.flagInvalidUTF8Cells()
                }
            }
            if crlf {
                endRecord(0x0D, to: sink)
                endRecord(0x0A, to: sink)
            } else {
                endRecord(0x0A, to: sink)
            }
            lineStart = lineEnd + 1
        }
        return lineStart
    }

    private func finish() {
        skippingToLineEnd = false
        let p = parserPointer.pointee
        if p.pstate == 2 && p.quoted != 0 {
            // libcsv's STRICT_FINI check: the last quoted cell never closed.
            state.pointee.defect = .unclosedQuote(cellIndex: state.pointee.cellCount)
            appendPartialCell()
            resetParser()
            state.pointee.recordEndLine = state.pointee.currentLine
            emit(blank: false)
        } else {
            csv_fini(parserPointer, fieldCallback, recordCallback, UnsafeMutableRawPointer(state))
        }
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
        state.pointee.recordEndLine = state.pointee.currentLine
        emit(blank: false)
    }

    private func oversizeCell(_ bytes: Int) {
        state.pointee.defect = .cellTooLarge(cellIndex: state.pointee.cellCount, bytes: bytes)
        appendPartialCell()
        resetParser()
        state.pointee.recordEndLine = state.pointee.currentLine
        emit(blank: false)
    }

    /// Keeps a prefix of the cell libcsv was building so reports can show it;
    /// line breaks in all of it still count.
    private func appendPartialCell() {
        let buf = parserPointer.pointee.entry_buf.map(UnsafeRawPointer.init)
        let full = buf == nil ? 0 : Int(parserPointer.pointee.entry_pos)
        let scan = state.pointee.scanForNewlines
        state.pointee.scanForNewlines = true
        state.pointee.noteCell(buf, full)
        state.pointee.scanForNewlines = scan
        // Keeps the defect already recorded: the prefix is under the size limit.
        state.pointee.addCell(buf, min(full, 256))
    }

    fileprivate func endRecord(_ c: Int32) { endRecord(c, to: sink) }

    /// `sink` passed down from `read` is held by the caller for the whole
    /// read, so handing it each record costs no reference counting (the
    /// stored one, reached from libcsv's callbacks, is retained per call).
    @inline(__always) private func endRecord(_ c: Int32, to sink: RecordSink) {
        switch state.pointee.terminate(c) {
        case .record: emit(blank: false, to: sink)
        case .blank: emit(blank: true, to: sink)
        case .nothing: break
        }
    }

    private func emit(blank: Bool) { emit(blank: blank, to: sink) }

    @inline(__always) private func emit(blank: Bool, to sink: RecordSink) {
        rowsEmitted += 1
        let st = state.pointee
        let view = RecordView(
            rowNumber: rowsEmitted, line: st.recordStartLine, endLine: st.recordEndLine,
            cellCount: st.cellCount, storedCount: st.storedCount, isBlank: blank, defect: st.defect, commaInCell: st.commaInCell,
            invalidUTF8Cells: UnsafeBufferPointer(start: st.invalidCells, count: st.invalidCount), base: st.arena, starts: st.starts)
        sink.consume(view)
        state.pointee.reset()
    }
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { s, len, data in
    let state = data!.assumingMemoryBound(to: RecordState.self)
    let p = s.map(UnsafeRawPointer.init)
    state.pointee.noteCell(p, len)
    state.pointee.addCell(p, len)
}

private let recordCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { c, data in
    data!.assumingMemoryBound(to: RecordState.self).pointee.owner._withUnsafeGuaranteedRef { $0.endRecord(c) }
}

/// Where the next line feed in `p[from..<to]` is, if there is one.
@inline(__always) func lineFeed(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
    memchr(p + from, 0x0A, to - from).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - p }
}

/// Line feeds in a byte range.
@inline(__always) func countLineFeeds(_ p: UnsafeRawPointer, _ n: Int) -> Int {
    var count = 0
    var at = p
    var left = n
    while left > 0, let hit = memchr(at, 0x0A, left) {
        count += 1
        let next = UnsafeRawPointer(hit) + 1
        left -= next - at
        at = next
    }
    return count
}
