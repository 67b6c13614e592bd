// Byte-level helpers shared by every stage. Cells are handled as UTF-8 byte
// slices so that the hot loops never allocate a String per cell.

public typealias Bytes = UnsafeBufferPointer<UInt8>

@inlinable @inline(__always) public func isASCIISpace(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A || b == 0x0B || b == 0x0C
}

@inlinable @inline(__always) public func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

@inlinable @inline(__always) public func isASCIILetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

@inlinable @inline(__always) public func asciiUpper(_ b: UInt8) -> UInt8 { b &- 0x61 < 26 ? b &- 0x20 : b }

@inlinable @inline(__always) public func asciiLower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b &+ 0x20 : b }

extension UnsafeBufferPointer where Element == UInt8 {
    /// The slice without leading and trailing ASCII whitespace.
    @inlinable @inline(__always) public func trimmed() -> UnsafeBufferPointer<UInt8> {
        guard let base = baseAddress, count > 0 else { return self }
        var lo = 0
        var hi = count
        while lo < hi && isASCIISpace(base[lo]) { lo += 1 }
        while hi > lo && isASCIISpace(base[hi - 1]) { hi -= 1 }
        return UnsafeBufferPointer(start: base + lo, count: hi - lo)
    }

    @inline(__always) public func equals(_ other: [UInt8]) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return other.withUnsafeBufferPointer { o in memcmp(baseAddress!, o.baseAddress!, count) == 0 }
    }

    /// Builds a String; only for findings and reports, never the hot path.
    public func string() -> String { String(decoding: self, as: UTF8.self) }
}

/// Folds text for alias matching: ASCII letters lower-cased, digits kept,
/// everything else (spaces, punctuation, apostrophes) dropped; so
/// "Barnardo's" and "BARNARDOS" fold alike.
public func foldForMatching<S: Sequence>(_ bytes: S) -> [UInt8] where S.Element == UInt8 {
    var out: [UInt8] = []
    for b in bytes { if let f = foldedForMatching(b) { out.append(f) } }
    return out
}

/// One byte of the fold: what it becomes, or nil when it is dropped
/// (non-ASCII bytes are kept as they are).
@inline(__always) func foldedForMatching(_ b: UInt8) -> UInt8? {
    if isDigit(b) || b >= 0x80 { return b }
    return isASCIILetter(b) ? asciiLower(b) : nil
}

public func foldForMatching(_ s: String) -> [UInt8] { foldForMatching(s.utf8) }

/// The same fold written at `out` (room for `bytes.count`); returns how many bytes.
@inline(__always) public func foldForMatching(_ bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
    var n = 0
    for b in bytes { if let f = foldedForMatching(b) { out[n] = f; n += 1 } }
    return n
}

/// 64-bit hash over bytes, eight at a time; used for duplicate-row and
/// primary-key indexes. Not cryptographic: pseudonymous ids use HMAC.
@inline(__always) public func hashBytes(_ p: UnsafeRawPointer?, _ n: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
    var h = seed ^ (UInt64(truncatingIfNeeded: n) &* 0xFF51_AFD7_ED55_8CCD)
    guard let p else { return mixHash(h) }
    var i = 0
    while i + 8 <= n {
        let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ (w &* 0x87C3_7B91_1142_53D5)).rotatedLeft(31) &* 0x4CF5_AD43_2745_937F
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
        shift += 8
        i += 1
    }
    h = (h ^ (tail &* 0x87C3_7B91_1142_53D5)).rotatedLeft(31) &* 0x4CF5_AD43_2745_937F
    return mixHash(h)
}

/// The same kind of hash as `hashBytes` over four independent lanes, so a
/// long run of bytes (a whole row) does not wait on one multiply chain.
/// Its values differ from `hashBytes`'s: only for hashes kept within a run.
@inline(__always) public func hashBytesWide(_ p: UnsafeRawPointer, _ n: Int, seed: UInt64) -> UInt64 {
    var a = seed ^ (UInt64(truncatingIfNeeded: n) &* 0xFF51_AFD7_ED55_8CCD)
    var b = a ^ 0x9E37_79B9_7F4A_7C15, c = a ^ 0xC2B2_AE3D_27D4_EB4F, d = a ^ 0x1656_67B1_9E37_79F9
    var i = 0
    @inline(__always) func round(_ h: UInt64, _ w: UInt64) -> UInt64 {
        (h ^ (w &* 0x87C3_7B91_1142_53D5)).rotatedLeft(31) &* 0x4CF5_AD43_2745_937F
    }
    while i + 32 <= n {
        a = round(a, p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        b = round(b, p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
        c = round(c, p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
        d = round(d, p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
        i += 32
    }
    return hashBytes(p + i, n - i, seed: a ^ b.rotatedLeft(17) ^ c.rotatedLeft(29) ^ d.rotatedLeft(43))
}

@inline(__always) public func mixHash(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return z ^ (z >> 33)
}

extension UInt64 {
    @inline(__always) func rotatedLeft(_ r: UInt64) -> UInt64 { (self << r) | (self >> (64 - r)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole number, optionally signed, of at most 18 digits; nil for anything else.
@inline(__always) public func parseInteger(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard b.count > 0 else { return nil }
    var i = 0
    var negative = false
    if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") { negative = b[0] == UInt8(ascii: "-"); i = 1 }
    guard i < b.count, b.count - i <= 18 else { return nil }
    var v: Int64 = 0
    while i < b.count {
        guard isDigit(b[i]) else { return nil }
        v = v * 10 + Int64(b[i] &- 0x30)
        i += 1
    }
    return negative ? -v : v
}

/// A plain decimal as the pipeline writes it (`-12.5`, `3`, `0.125`): at
/// most 18 digits, no exponent; nil for anything else.
public func parseDecimal(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
    guard let dot = b.firstIndex(of: UInt8(ascii: ".")) else { return parseInteger(b).map(Double.init) }
    let whole = UnsafeBufferPointer(rebasing: b[..<dot]), fraction = UnsafeBufferPointer(rebasing: b[(dot + 1)...])
    guard fraction.count > 0, fraction.count <= 18, fraction.allSatisfy(isDigit), let f = parseInteger(fraction) else { return nil }
    let negative = whole.first == UInt8(ascii: "-")
    let w: Int64
    if whole.count == 0 || (whole.count == 1 && (whole[0] == UInt8(ascii: "-") || whole[0] == UInt8(ascii: "+"))) { w = 0 } else {
        guard let parsed = parseInteger(whole) else { return nil }
        w = abs(parsed)
    }
    var scale = 1.0
    for _ in 0..<fraction.count { scale *= 10 }
    let v = Double(w) + Double(f) / scale
    return negative ? -v : v
}

/// `v` rounded to `places` decimals as text (`0.12`, `3.0`): for reports and
/// summaries, where Foundation's `String(format:)` is not wanted.
public func decimalText(_ v: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    return "\((v * scale).rounded() / scale)"
}

/// `v` to `digits` significant figures, so that a probability of 1e-8 is
/// not shown as 0 (Swift writes the small ones as `1.23e-08`).
public func significantText(_ v: Double, digits: Int) -> String {
    guard v != 0, v.isFinite else { return decimalText(v, places: 0) }
    let exponent = Int(log10(abs(v)).rounded(.down))
    return decimalText(v, places: max(0, digits - 1 - exponent))
}
