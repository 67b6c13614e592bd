import LLRCore

/// A small table from codes (as bytes) to outputs, searched without
/// allocating or reference counting: keys sit back to back in one buffer.
struct CodeTable {
    private var keyBytes: [UInt8] = []
    private var keyEnds: [Int] = []
    /// Output for each key.
    private(set) var outputs: [[UInt8]] = []

    init(_ pairs: [(String, String)]) {
        for (k, v) in pairs {
            keyBytes.append(contentsOf: k.utf8)
            keyEnds.append(keyBytes.count)
            outputs.append(Array(v.utf8))
        }
    }

    /// The position of a key equal to `cell`, if any.
    func find(_ cell: UnsafeBufferPointer<UInt8>) -> Int? {
        keyBytes.withUnsafeBufferPointer { kb in
            keyEnds.withUnsafeBufferPointer { ends in
                var start = 0
                for i in 0..<ends.count {
                    let end = ends[i]
                    if end - start == cell.count {
                        var k = 0
                        while k < cell.count && kb[start + k] == cell[k] { k += 1 }
                        if k == cell.count { return i }
                    }
                    start = end
                }
                return nil
            }
        }
    }

    func find(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer { find($0) } }
}
