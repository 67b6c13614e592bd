/// Pseudonymous ids in one byte buffer with their end offsets. The writers
/// copy an id's bytes straight into a CSV row: a million event ids a night
/// as Strings would be a million heap blocks, each retained and released
/// wherever a row is written.
struct IdColumn: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int32] = []

    init() {}

    init(_ ids: [String]) {
        for id in ids { append(id) }
    }

    mutating func append(_ id: String) {
        bytes.append(contentsOf: id.utf8)
        ends.append(Int32(bytes.count))
    }

    /// Ids of one width, back to back (as a worker made them).
    mutating func append(fixedWidth width: Int, _ run: [UInt8]) {
        bytes.append(contentsOf: run)
        var end = Int(ends.last ?? 0)
        for _ in 0..<run.count / width {
            end += width
            ends.append(Int32(end))
        }
    }

    /// The ids as buffers for the time of `body`.
    func withCells<R>(_ body: (IdCells) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try ends.withUnsafeBufferPointer { e in try body(IdCells(base: b.baseAddress, ends: e.baseAddress)) }
        }
    }
}

struct IdCells {
    let base: UnsafePointer<UInt8>?
    let ends: UnsafePointer<Int32>?

    @inline(__always) subscript(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let from = i == 0 ? 0 : Int(ends![i - 1])
        return UnsafeBufferPointer(start: base.map { $0 + from }, count: Int(ends![i]) - from)
    }
}
