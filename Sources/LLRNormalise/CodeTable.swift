import LLRCore

/// A small table of codes (as bytes) searched by the row loop without
/// allocating or reference counting: the keys sit back to back in memory
/// an arena owns, and the table itself is plain values, copied freely.
struct CodeTable {
    private let keyBytes: UnsafeBufferPointer<UInt8>
    private let keyEnds: UnsafeBufferPointer<Int>
    /// Per first byte, a bit for each key length up to 63 that some key
    /// starting with it has: most cells that match nothing stop here.
    private let shapes: UnsafeBufferPointer<UInt64>

    init(keys: [String], arena: ByteRunArena?) {
        var bytes: [UInt8] = [], ends: [Int] = []
        var shapes = [UInt64](repeating: 0, count: 256)
        for k in keys {
            let u = Array(k.utf8)
            if let f = u.first { shapes[Int(f)] |= u.count < 64 ? 1 << UInt64(u.count) : 1 << 63 }
            bytes.append(contentsOf: u)
            ends.append(bytes.count)
        }
        guard let arena, !keys.isEmpty else {
            keyBytes = UnsafeBufferPointer(start: nil, count: 0)
            keyEnds = UnsafeBufferPointer(start: nil, count: 0)
            self.shapes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        keyBytes = arena.table(bytes)
        keyEnds = arena.table(ends)
        self.shapes = arena.table(shapes)
    }

    var count: Int { keyEnds.count }

    /// The position of a key equal to `cell`, if any.
    @inline(__always) func find(_ cell: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = cell.first, !shapes.isEmpty else { return nil }
        let bit: UInt64 = cell.count < 64 ? 1 << UInt64(cell.count) : 1 << 63
        guard shapes[Int(first)] & bit != 0 else { return nil }
        var start = 0
        for i in 0..<keyEnds.count {
            let end = keyEnds[i]
            if end - start == cell.count && keyBytes[start] == first {
                var k = 1
                while k < cell.count && keyBytes[start + k] == cell[k] { k += 1 }
                if k == cell.count { return i }
            }
            start = end
        }
        return nil
    }

    func find(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer { find($0) } }
}
