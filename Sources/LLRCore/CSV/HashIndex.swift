import CLLRSupport

/// Asks the CPU to start loading the cache line at `p`: for loops whose
/// reads jump around memory, issued a few iterations ahead.
@inlinable @inline(__always) public func prefetchMemory(_ p: UnsafeRawPointer) {
    llr_prefetch(p)
}

/// An open-addressing set of 64-bit hashes, each with the row number that
/// first had it (12 bytes a slot, at most 70% full). Used for `unique`
/// columns other than the primary key. Two different values sharing a 64-bit
/// hash is a chance of about 1 in 10^7 per million rows.
public struct HashIndex {
    private var keys: [UInt64]
    private var rows: [UInt32]
    private var mask: Int
    public private(set) var count = 0

    /// Room for `capacity` hashes before the first growth (slots at most 70% full).
    public init(capacity: Int = 1024) {
        var cap = 16
        while cap * 7 < capacity * 10 { cap <<= 1 }
        keys = [UInt64](repeating: 0, count: cap)
        rows = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
    }

    /// Starts loading the slot `hash` will probe first: for loops over keys
    /// known ahead, issued some keys before their insert or lookup.
    /// `withRow` fetches the slot's row number too (for `number` and `row(of:)`).
    @inline(__always) public func prefetch(_ hash: UInt64, withRow: Bool = false) {
        let h = hash == 0 ? 1 : hash
        let i = Int(truncatingIfNeeded: h) & mask
        keys.withUnsafeBufferPointer { prefetchMemory($0.baseAddress! + i) }
        if withRow { rows.withUnsafeBufferPointer { prefetchMemory($0.baseAddress! + i) } }
    }

    /// Inserts `hash` for `row`; returns the earlier row when already present.
    public mutating func insert(_ hash: UInt64, row: Int) -> Int? {
        let (i, inserted) = slot(hash, insertingRow: row)
        return inserted ? nil : Int(rows[i])
    }

    /// The slot holding `hash`, inserting it with `row` when absent
    /// (`inserted` says which). A slot stays put until the next insertion
    /// that grows the table.
    public mutating func slot(_ hash: UInt64, insertingRow row: Int) -> (slot: Int, inserted: Bool) {
        let h = hash == 0 ? 1 : hash
        if count * 10 >= keys.count * 7 { grow() }
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let k = keys[i]
            if k == 0 {
                keys[i] = h
                rows[i] = UInt32(truncatingIfNeeded: row)
                count += 1
                return (i, true)
            }
            if k == h { return (i, false) }
            i = (i + 1) & mask
        }
    }

    /// Numbers distinct hashes 0, 1, 2, … in the order they are first seen:
    /// `hash`'s number, and whether this is its first sighting.
    public mutating func number(_ hash: UInt64) -> (number: Int, isNew: Bool) {
        let (i, inserted) = slot(hash, insertingRow: count)
        return (Int(rows[i]), inserted)
    }

    /// The row `hash` was inserted with, if it was.
    public func row(of hash: UInt64) -> Int? {
        let h = hash == 0 ? 1 : hash
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let k = keys[i]
            if k == 0 { return nil }
            if k == h { return Int(rows[i]) }
            i = (i + 1) & mask
        }
    }

    public func row(atSlot i: Int) -> Int { Int(rows[i]) }

    public mutating func setRow(_ row: Int, atSlot i: Int) { rows[i] = UInt32(truncatingIfNeeded: row) }

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

/// One index for both row-identity checks of a return: each row's primary
/// key hash and whole-content hash. An exact duplicate row necessarily has the
/// same key, so a key seen before is either a duplicate row (same content)
/// or a primary-key clash (different content); one table serves both. Memory
/// is about 36 bytes a row: 8 for the key, 8 for the content, 4 for the row
/// number, and 8-byte slots kept at most 70% full (the tags keep probes short).
public final class RowIdentityIndex {
    public enum Outcome: Equatable {
        case first
        case duplicateRow(of: Int)
        case duplicateKey(of: Int)
    }

    /// Each slot holds the key's high 32 bits above the entry number, so most
    /// probes are settled without touching the entry arrays.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotMask: Int
    private var keys: UnsafeMutablePointer<UInt64>
    private var contents: UnsafeMutablePointer<UInt64>
    private var rowNumbers: UnsafeMutablePointer<UInt32>
    private var capacity: Int
    public private(set) var count = 0

    public init(expectedRows: Int = 4096) {
        capacity = max(16, expectedRows)
        var slotCount = 32
        while slotCount * 7 < capacity * 10 { slotCount <<= 1 }
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        slotMask = slotCount - 1
        keys = .allocate(capacity: capacity)
        contents = .allocate(capacity: capacity)
        rowNumbers = .allocate(capacity: capacity)
    }

    deinit {
        slots.deallocate()
        keys.deallocate()
        contents.deallocate()
        rowNumbers.deallocate()
    }

    /// Starts loading the slot `key` will probe; call it well before `insert`.
    @inline(__always) public func prefetch(key: UInt64) {
        llr_prefetch(slots + (Int(truncatingIfNeeded: key) & slotMask))
    }

    /// Records a row; says whether its key or its whole content came before.
    @inline(__always) public func insert(key: UInt64, content: UInt64, rowNumber: Int) -> Outcome {
        if count * 10 >= (slotMask + 1) * 7 { growSlots() }
        var i = Int(truncatingIfNeeded: key) & slotMask
        let tag = key & 0xFFFF_FFFF_0000_0000
        while true {
            let s = slots[i]
            if s == 0 { break }
            let e = Int(s & 0xFFFF_FFFF) - 1
            if s & 0xFFFF_FFFF_0000_0000 == tag && keys[e] == key {
                return contents[e] == content ? .duplicateRow(of: Int(rowNumbers[e])) : .duplicateKey(of: Int(rowNumbers[e]))
            }
            i = (i + 1) & slotMask
        }
        if count == capacity { growEntries() }
        keys[count] = key
        contents[count] = content
        rowNumbers[count] = UInt32(truncatingIfNeeded: rowNumber)
        count += 1
        slots[i] = tag | UInt64(count)
        return .first
    }

    private func growEntries() {
        let cap = capacity * 2
        func moved<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let q = UnsafeMutablePointer<T>.allocate(capacity: cap)
            q.moveInitialize(from: p, count: count)
            p.deallocate()
            return q
        }
        keys = moved(keys)
        contents = moved(contents)
        rowNumbers = moved(rowNumbers)
        capacity = cap
    }

    private func growSlots() {
        let n = (slotMask + 1) * 2
        slots.deallocate()
        slots = .allocate(capacity: n)
        slots.initialize(repeating: 0, count: n)
        slotMask = n - 1
        for e in 0..<count {
            var i = Int(truncatingIfNeeded: keys[e]) & slotMask
            while slots[i] != 0 { i = (i + 1) & slotMask }
            slots[i] = (keys[e] & 0xFFFF_FFFF_0000_0000) | UInt64(e + 1)
        }
    }
}
