import LLRCore

/// The identifying fields of every record to link, column by column: names
/// and postcodes as spans of one byte arena, dates as yyyymmdd numbers, and
/// each deterministic identifier as a 64-bit hash (0 when empty). One
/// allocation per column, not per record.
public final class PersonRecords: @unchecked Sendable {
    public struct Span: Sendable {
        var offset: UInt32
        var count: UInt16
        static let empty = Span(offset: 0, count: 0)
    }

    var arena: [UInt8] = []
    var forename: [Span] = []
    var surname: [Span] = []
    var postcode: [Span] = []
    /// yyyymmdd, 0 when missing.
    var dob: [Int32] = []
    /// `M`, `F`, or 0 when unknown.
    var sex: [UInt8] = []
    /// One column per deterministic rule (settings order).
    var identifiers: [[UInt64]]
    /// Generic mode: each compare column's cells (trimmed, upper case) and
    /// their values as numbers or days (NaN when none), settings order.
    var extra: [[Span]] = []
    var extraValue: [[Double]] = []

    public var count: Int { dob.count }

    public init(identifierColumns: Int, capacity: Int = 0) {
        identifiers = Array(repeating: [], count: identifierColumns)
        forename.reserveCapacity(capacity); surname.reserveCapacity(capacity); postcode.reserveCapacity(capacity)
        dob.reserveCapacity(capacity); sex.reserveCapacity(capacity)
        for i in identifiers.indices { identifiers[i].reserveCapacity(capacity) }
    }

    private func span(_ p: UnsafeBufferPointer<UInt8>) -> Span {
        guard p.count > 0 else { return .empty }
        let n = min(p.count, Int(UInt16.max))
        let offset = UInt32(arena.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p.baseAddress, count: n))
        return Span(offset: offset, count: UInt16(n))
    }

    /// Appends one record. Names should be folded already (the normaliser's
    /// upper case); `dob` is an ISO date or empty; identifiers are hashed here.
    public func append(forename f: UnsafeBufferPointer<UInt8>, surname s: UnsafeBufferPointer<UInt8>,
                       dob d: UnsafeBufferPointer<UInt8>, sex x: UInt8, postcode p: UnsafeBufferPointer<UInt8>,
                       identifiers ids: (Int) -> UInt64) {
        forename.append(span(f))
        surname.append(span(s))
        postcode.append(span(p))
        dob.append(isoDateNumber(d))
        sex.append(x == 0x4D || x == 0x46 ? x : 0)
        for i in identifiers.indices { identifiers[i].append(ids(i)) }
    }

    /// Appends one record from strings (generic mode and tests).
    public func append(forename f: String, surname s: String, dob d: String, sex x: String, postcode p: String, identifiers ids: [String]) {
        let fb = normalisedName(f.utf8), sb = normalisedName(s.utf8), db = Array(d.utf8), pb = Array(p.uppercased().utf8)
        let hashes = ids.map { $0.isEmpty ? UInt64(0) : identifierHash(Array($0.utf8)) }
        fb.withUnsafeBufferPointer { fp in sb.withUnsafeBufferPointer { sp in db.withUnsafeBufferPointer { dp in pb.withUnsafeBufferPointer { pp in
            append(forename: fp, surname: sp, dob: dp, sex: x.utf8.first.map { $0 & 0xDF } ?? 0, postcode: pp) { i in i < hashes.count ? hashes[i] : 0 }
        } } } }
    }

    /// Appends the compare columns' cells of the record just appended.
    public func appendExtras(_ cells: [[UInt8]], values: [Double]) {
        if extra.isEmpty {
            extra = Array(repeating: [], count: cells.count)
            extraValue = Array(repeating: [], count: cells.count)
        }
        for (k, c) in cells.enumerated() {
            extra[k].append(c.withUnsafeBufferPointer { span($0) })
            extraValue[k].append(values[k])
        }
    }

    func text(_ s: Span) -> String {
        String(decoding: arena[Int(s.offset)..<Int(s.offset) + Int(s.count)], as: UTF8.self)
    }
}

/// A non-zero 64-bit hash of an identifier's bytes (0 means empty).
public func identifierHash(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBufferPointer { identifierHash($0) }
}

public func identifierHash(_ p: UnsafeBufferPointer<UInt8>, seed: UInt64 = 0x5EED_1D5) -> UInt64 {
    guard p.count > 0 else { return 0 }
    let h = hashBytes(UnsafeRawPointer(p.baseAddress), p.count, seed: seed)
    return h == 0 ? 1 : h
}

/// `2019-04-03` (or `2019-04-03T11:58`) → 20190403; anything else → 0.
@inline(__always) func isoDateNumber(_ d: UnsafeBufferPointer<UInt8>) -> Int32 {
    guard d.count >= 10, d[4] == 0x2D, d[7] == 0x2D, d.count == 10 || d[10] == 0x54 || d[10] == 0x20 else { return 0 }
    var v: Int32 = 0
    for i in 0..<10 where i != 4 && i != 7 {
        let c = d[i] &- 0x30
        guard c < 10 else { return 0 }
        v = v * 10 + Int32(c)
    }
    return v
}
