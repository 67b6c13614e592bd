/// One value as a CSV cell, escaped once for rows that repeat it.
public func encodedCell(_ value: String) -> [UInt8] {
    var b = CSVRowBuilder()
    b.add(value)
    return b.bytes
}

/// Writes RFC 4180 CSV rows into a byte buffer. Cells a spreadsheet would run
/// as a formula (starting `=`, `+`, `-`, `@`, tab or carriage return) are
/// prefixed with an apostrophe, as OWASP advises for CSV exports.
public struct CSVRowBuilder {
    public private(set) var bytes: [UInt8] = []
    private var first = true
    public var escapeFormulas: Bool

    public init(escapeFormulas: Bool = true) {
        self.escapeFormulas = escapeFormulas
        bytes.reserveCapacity(4096)
    }

    public mutating func add(_ cell: UnsafeBufferPointer<UInt8>) {
        if !first { bytes.append(0x2C) }
        first = false
        appendCSVCell(cell, to: &bytes, escapeFormulas: escapeFormulas)
    }

    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { add($0) }
    }

    public mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { add($0) }
    }

    /// A cell already known to need no quoting or escaping (a file name
    /// checked once), appended as is.
    public mutating func addVerbatim(_ cell: [UInt8]) {
        if !first { bytes.append(0x2C) }
        first = false
        bytes.append(contentsOf: cell)
    }

    /// Cells already in CSV form (one or several, comma-separated), as is.
    public mutating func addEncoded(_ cells: ArraySlice<UInt8>) {
        if !first { bytes.append(0x2C) }
        first = false
        bytes.append(contentsOf: cells)
    }

    /// A short tag and a number as one cell (`P123`), with no String built.
    public mutating func add(_ prefix: StaticString, _ n: Int) {
        if !first { bytes.append(0x2C) }
        first = false
        prefix.withUTF8Buffer { bytes.append(contentsOf: $0) }
        appendDigits(n, to: &bytes)
    }

    /// A whole number, written straight as digits.
    public mutating func add(_ v: Int) {
        if !first { bytes.append(0x2C) }
        first = false
        appendDigits(v, to: &bytes)
    }

    /// Ends the row with a line feed.
    public mutating func endRow() {
        bytes.append(0x0A)
        first = true
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        first = true
    }
}

/// One cell in CSV form appended to `out`: quoted when it holds a comma,
/// quote or line break, and prefixed with `'` when a spreadsheet would run it.
public func appendCSVCell(_ cell: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], escapeFormulas: Bool = true) {
    guard cell.count > 0 else { return }
    let formula = escapeFormulas && startsLikeFormula(cell)
    let needsQuotes = needsQuoting(cell)
    if needsQuotes { out.append(0x22) }
    if formula { out.append(0x27) }
    if needsQuotes {
        for b in cell {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    } else {
        out.append(contentsOf: cell)
    }
}

/// A CSV output written row by row under a temporary name and renamed into
/// place on commit: gzip when the name ends `.gz` (or `compressed` says
/// so), plain text otherwise. With `background`, compression and writing
/// run on a Dispatch worker (`BackgroundWriter`) while the caller builds
/// the next rows.
public final class CSVOutput {
    private let gzip: GzipWriter?
    private let plain: AtomicOutputFile?
    private let background: BackgroundWriter?
    private var row = CSVRowBuilder()
    public private(set) var rowsWritten = 0

    /// `header` nil writes none (the caller's first row is the header).
    public init(path: String, header: [String]?, escapeFormulas: Bool = true, level: Int32 = 6, background: Bool = false,
                compressed: Bool? = nil) throws(OutputError) {
        if compressed ?? path.hasSuffix(".gz") {
            let gzip = try GzipWriter(path: path, level: level)
            self.gzip = gzip
            plain = nil
            self.background = background ? BackgroundWriter(label: "gzip " + baseName(path), outputs: [gzip]) : nil
        } else {
            gzip = nil
            plain = try AtomicOutputFile(path: path)
            self.background = nil
        }
        row.escapeFormulas = escapeFormulas
        if let header {
            try writeRow { r in for h in header { r.add(h) } }
            rowsWritten = 0
        }
    }

    /// Builds one row with `fill` and writes it.
    public func writeRow(_ fill: (inout CSVRowBuilder) -> Void) throws(OutputError) {
        fill(&row)
        row.endRow()
        if row.bytes.count >= 32 * 1024 { try flush() }
        rowsWritten += 1
    }

    private func flush() throws(OutputError) {
        if let background { try background.write(row.bytes) } else if let gzip { try gzip.write(row.bytes) } else { try plain!.write(row.bytes) }
        row.removeAll()
    }

    public func commit() throws(OutputError) {
        try flush()
        if let background { try background.commit() } else if let gzip { try gzip.commit() } else { try plain!.commit() }
    }
}

/// Decimal digits of `v` written at `out` (room for 20 bytes); returns how many.
@inline(__always) public func writeDigits(_ v: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
    var sign = 0
    if v < 0 { out[0] = 0x2D; sign = 1 }
    var x = v.magnitude
    var digits = 1
    var t = x / 10
    while t > 0 { digits += 1; t /= 10 }
    var i = sign + digits - 1
    repeat { out[i] = UInt8(48 + x % 10); x /= 10; i -= 1 } while i >= sign
    return sign + digits
}

/// Appends the decimal digits of `v` to `bytes` without building a String.
@inline(__always) public func appendDigits(_ v: Int, to bytes: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { tmp in
        let n = writeDigits(v, to: tmp.baseAddress!)
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[0..<n]))
    }
}

/// Whether a cell is written to CSV as it is: nothing to quote, and it
/// does not start like a formula.
@inlinable @inline(__always) public func isVerbatimCSVCell(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
    !needsQuoting(cell) && !startsLikeFormula(cell)
}

/// Whether a cell holds a comma, quote, CR or LF; eight bytes at a step.
@inlinable @inline(__always) func needsQuoting(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = cell.count
    var i = 0
    if let base = cell.baseAddress {
        let raw = UnsafeRawPointer(base)
        @inline(__always) func has(_ w: UInt64, _ b: UInt64) -> Bool {
            let x = w ^ (b &* 0x0101_0101_0101_0101)
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
        }
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if has(w, 0x2C) || has(w, 0x22) || has(w, 0x0A) || has(w, 0x0D) { return true }
            i += 8
        }
    }
    while i < n {
        let b = cell[i]
        if b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D { return true }
        i += 1
    }
    return false
}

/// Whether a spreadsheet would run the cell as a formula.
@inlinable @inline(__always) public func startsLikeFormula(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let lead = cell.first else { return false }
    return lead == 0x3D || lead == 0x2B || lead == 0x2D || lead == 0x40 || lead == 0x09 || lead == 0x0D
}

/// A run of bytes that lives as long as its owner and is copied by value
/// without reference counting: for constant cells written on every row.
public struct ByteRun: BitwiseCopyable {
    public let start: UnsafePointer<UInt8>?
    public let count: Int
    public static var empty: ByteRun { ByteRun(start: nil, count: 0) }
    init(start: UnsafePointer<UInt8>?, count: Int) { self.start = start; self.count = count }
    public var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }
}

/// Owns the bytes behind `ByteRun`s, and other constant tables a row loop
/// reads through pointers; they never move.
public final class ByteRunArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    public init() {}
    deinit { for b in blocks { b.deallocate() } }

    public func run(_ bytes: [UInt8]) -> ByteRun {
        let copy = table(bytes)
        return ByteRun(start: copy.baseAddress, count: copy.count)
    }

    public func run(_ s: String) -> ByteRun { run(Array(s.utf8)) }

    /// A copy of `values` that lives as long as the arena.
    public func table<T: BitwiseCopyable>(_ values: [T]) -> UnsafeBufferPointer<T> {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, values.count * MemoryLayout<T>.stride), alignment: MemoryLayout<T>.alignment)
        blocks.append(p)
        let typed = p.bindMemory(to: T.self, capacity: values.count)
        typed.initialize(from: values, count: values.count)
        return UnsafeBufferPointer(start: typed, count: values.count)
    }
}

/// CSV rows written straight into a fixed buffer and handed to a
/// background gzip writer 32 KiB at a time: for stages whose row loop
/// writes every row it reads. Escapes as `CSVRowBuilder` does.
public final class FastCSVGzipRows {
    private let background: BackgroundWriter
    private let capacity = 64 * 1024
    private let buffer: UnsafeMutablePointer<UInt8>
    private var pos = 0
    private var first = true
    public private(set) var rowsWritten = 0

    /// `background` false compresses on the caller's thread (one core).
    /// `plainCopy`: a path where the same rows also go uncompressed (the
    /// merge's published extract), so nothing has to inflate them again.
    public init(path: String, header: [String], level: Int32 = 1, background: Bool = true, plainCopy: String? = nil) throws(OutputError) {
        let gzip = try GzipWriter(path: path, level: level, firstMatchOnly: true)
        let plain = try plainCopy.map { (p) throws(OutputError) in try AtomicOutputFile(path: p) }
        self.background = BackgroundWriter(label: "gzip " + baseName(path), inline: !background, outputs: [gzip] + (plain.map { [$0] } ?? []))
        buffer = .allocate(capacity: capacity)
        for h in header {
            var s = h
            s.withUTF8 { cell($0) }
        }
        try endRow()
        rowsWritten = 0
    }

    deinit { buffer.deallocate() }

    /// Room for `n` more bytes (plus a separator), handing off what is there if need be.
    @inline(__always) private func ensure(_ n: Int) {
        if pos + n + 2 > capacity { spill() }
    }

    @inline(__always) private func separate() {
        ensure(24)
        if !first { buffer[pos] = 0x2C; pos += 1 }
        first = false
    }

    /// A cell from input: quoted when it holds a comma, quote or line break;
    /// an apostrophe first when it starts like a formula.
    @inline(__always) public func cell(_ c: UnsafeBufferPointer<UInt8>) {
        separate()
        guard c.count > 0 else { return }
        if c.count <= 4096 && isVerbatimCSVCell(c) {
            ensure(c.count)
            (buffer + pos).update(from: c.baseAddress!, count: c.count)
            pos += c.count
            return
        }
        escaped(c)
    }

    private func escaped(_ c: UnsafeBufferPointer<UInt8>) {
        let quote = needsQuoting(c), formula = startsLikeFormula(c)
        if quote { put(0x22) }
        if formula { put(0x27) }
        for b in c {
            if quote && b == 0x22 { put(0x22) }
            put(b)
        }
        if quote { put(0x22) }
    }

    /// A cell that `write` puts straight into the buffer (room for `room`
    /// bytes; it returns how many it wrote), escaped afterwards if it needs
    /// it: normalised values are made where they are written.
    @inline(__always) public func cell(room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        separate()
        guard room <= 4096 else { return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { escapedCopy($0, write) } }
        ensure(room)
        let n = write(buffer + pos)
        if n == 0 || isVerbatimCSVCell(UnsafeBufferPointer(start: buffer + pos, count: n)) { pos += n; return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { tmp in
            tmp.baseAddress!.initialize(from: buffer + pos, count: n)
            escaped(UnsafeBufferPointer(tmp))
        }
    }

    private func escapedCopy(_ tmp: UnsafeMutableBufferPointer<UInt8>, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        let n = write(tmp.baseAddress!)
        escaped(UnsafeBufferPointer(rebasing: tmp[0..<n]))
    }

    /// The same for bytes known to need no escaping (ISO dates, digits).
    @inline(__always) public func verbatim(room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        guard room <= 4096 else { return cell(room: room, write) }
        separate()
        ensure(room)
        pos += write(buffer + pos)
    }

    public func cell(_ s: String) {
        var s = s
        s.withUTF8 { cell($0) }
    }

    @inline(__always) private func put(_ b: UInt8) {
        if pos == capacity { spill() }
        buffer[pos] = b
        pos += 1
    }

    /// Bytes known to need no escaping (codes, ISO dates, numbers).
    @inline(__always) public func verbatim(_ c: UnsafeBufferPointer<UInt8>) {
        separate()
        if c.count > 0 {
            ensure(c.count)
            (buffer + pos).update(from: c.baseAddress!, count: c.count)
            pos += c.count
        }
    }

    @inline(__always) public func verbatim(_ r: ByteRun) { verbatim(r.buffer) }

    public func int(_ v: Int) {
        separate()
        pos += writeDigits(v, to: buffer + pos)
    }

    public func empty() { separate() }

    public func endRow() throws(OutputError) {
        ensure(1)
        buffer[pos] = 0x0A
        pos += 1
        first = true
        rowsWritten += 1
        if pos >= capacity / 2 || pending != nil { try flush() }
    }

    /// Hands off what is in the buffer mid-row; a failure is kept for the
    /// next `endRow` or `commit`, which throw it.
    private func spill() {
        do { try flush() } catch { pending = error }
    }

    private var pending: OutputError?

    private func flush() throws(OutputError) {
        if let p = pending { pending = nil; throw p }
        guard pos > 0 else { return }
        try background.write(Array(UnsafeBufferPointer(start: buffer, count: pos)))
        pos = 0
    }

    public func commit() throws(OutputError) {
        try flush()
        try background.commit()
    }
}
