/// An open-addressing set of 64-bit hashes, each with the row number that
/// first had it: 12 bytes a row, so uniqueness and duplicate checks on a
/// million-row return stay within a few tens of megabytes. Two different
/// values sharing a 64-bit hash is a chance of about 1 in 10^7 per million rows.
public struct HashIndex {
    private var keys: [UInt64]
    private var rows: [UInt32]
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        keys = [UInt64](repeating: 0, count: cap)
        rows = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
    }

    /// Inserts `hash` for `row`; returns the earlier row when already present.
    public mutating func insert(_ hash: UInt64, row: Int) -> Int? {
        let h = hash == 0 ? 1 : hash
        if count * 10 >= keys.count * 7 { grow() }
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let k = keys[i]
            if k == 0 {
                keys[i] = h
                rows[i] = UInt32(truncatingIfNeeded: row)
                count += 1
                return nil
            }
            if k == h { return Int(rows[i]) }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldRows = rows
        let cap = keys.count * 2
        keys = [UInt64](repeating: 0, count: cap)
        rows = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        for (j, k) in oldKeys.enumerated() where k != 0 {
            var i = Int(truncatingIfNeeded: k) & mask
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = k
            rows[i] = oldRows[j]
        }
    }
}
