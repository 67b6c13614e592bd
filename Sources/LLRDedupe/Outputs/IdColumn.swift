/// Pseudonymous ids in one byte buffer with their end offsets. The writers
/// copy an id's bytes straight into a CSV row: a million event ids a night
/// as Strings would be a million heap blocks, each retained and released
/// wherever a row is written.
struct IdColumn: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int32] = []
    /// Every id is letters and digits only (as pseudonyms are), so a writer
    /// may copy them as they are: such a cell needs no quotes and cannot
    /// start like a formula. Checked as ids are added, whatever made them.
    private(set) var plain = true

    init() {}

    init(_ ids: [String]) {
        for id in ids { append(id) }
    }

    mutating func append(_ id: String) {
        let from = bytes.count
        bytes.append(contentsOf: id.utf8)
        ends.append(Int32(bytes.count))
        checkPlain(from)
    }

    private mutating func checkPlain(_ from: Int) {
        guard plain else { return }
        plain = bytes.withUnsafeBufferPointer { b in
            // Without branches, so the loop over a million ids runs on vectors.
            var bad: UInt8 = 0
            for x in UnsafeBufferPointer(rebasing: b[from...]) {
                let folded = x | 0x20  // A-Z to a-z; digits stay digits, but so do 0x10-0x19, hence the second test
                let letter: UInt8 = folded &- 0x61 < 26 ? 1 : 0, digit: UInt8 = x &- 0x30 < 10 ? 1 : 0
                bad |= (letter | digit) ^ 1
            }
            return bad == 0
        }
    }

    /// Ids of one width, back to back (as a worker made them).
    mutating func append(fixedWidth width: Int, _ run: [UInt8]) {
        let from = bytes.count
        bytes.append(contentsOf: run)
        checkPlain(from)
        var end = Int(ends.last ?? 0)
        for _ in 0..<run.count / width {
            end += width
            ends.append(Int32(end))
        }
    }

    /// The ids as buffers for the time of `body`.
    func withCells<R>(_ body: (IdCells) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try ends.withUnsafeBufferPointer { e in try body(IdCells(base: b.baseAddress, ends: e.baseAddress, plain: plain)) }
        }
    }
}

struct IdCells {
    let base: UnsafePointer<UInt8>?
    let ends: UnsafePointer<Int32>?
    let plain: Bool

    @inline(__always) subscript(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let from = i == 0 ? 0 : Int(ends![i - 1])
        return UnsafeBufferPointer(start: base.map { $0 + from }, count: Int(ends![i]) - from)
    }
}
