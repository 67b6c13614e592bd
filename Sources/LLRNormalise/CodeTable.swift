import LLRCore

/// A small code → output table searched by bytes (code lists are short), so
/// mapping a cell allocates nothing.
struct CodeTable {
    private var keys: [[UInt8]] = []
    private var values: [[UInt8]] = []

    init(_ pairs: [(String, String)]) {
        for (k, v) in pairs {
            keys.append(Array(k.utf8))
            values.append(Array(v.utf8))
        }
    }

    /// The output for a trimmed cell, if it is one of the codes.
    func lookup(_ cell: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        for (i, k) in keys.enumerated() where cell.equals(k) { return values[i] }
        return nil
    }

    /// The output, read as a number, for an already folded key (LA names as typed).
    func index(folded: [UInt8]) -> Int? {
        for (i, k) in keys.enumerated() where k == folded { return Int(String(decoding: values[i], as: UTF8.self)) }
        return nil
    }

    /// The output read as a number, for a cell.
    func index(_ cell: UnsafeBufferPointer<UInt8>) -> Int? {
        lookup(cell).flatMap { Int(String(decoding: $0, as: UTF8.self)) }
    }
}
