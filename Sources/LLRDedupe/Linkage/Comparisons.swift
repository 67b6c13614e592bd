/// String and date comparisons of the linkage model, on bytes (names are
/// upper-case ASCII after normalisation; other bytes compare as bytes).

/// Jaro–Winkler similarity (prefix scale 0.1, up to four characters), on
/// the first 64 bytes of each name. No allocation: flags live in two words.
public func jaroWinkler(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
    let la = min(a.count, 64), lb = min(b.count, 64)
    if la == 0 || lb == 0 { return la == lb ? 1 : 0 }
    let window = max(0, max(la, lb) / 2 - 1)
    var flagsA: UInt64 = 0, flagsB: UInt64 = 0
    var matches = 0
    for i in 0..<la {
        let lo = max(0, i - window), hi = min(lb - 1, i + window)
        if lo > hi { continue }
        for j in lo...hi where flagsB & (1 << UInt64(j)) == 0 && a[i] == b[j] {
            flagsA |= 1 << UInt64(i)
            flagsB |= 1 << UInt64(j)
            matches += 1
            break
        }
    }
    if matches == 0 { return 0 }
    var transpositions = 0
    var j = 0
    for i in 0..<la where flagsA & (1 << UInt64(i)) != 0 {
        while flagsB & (1 << UInt64(j)) == 0 { j += 1 }
        if a[i] != b[j] { transpositions += 1 }
        j += 1
    }
    let m = Double(matches)
    let jaro = (m / Double(la) + m / Double(lb) + (m - Double(transpositions / 2)) / m) / 3
    var prefix = 0
    while prefix < min(4, la, lb) && a[prefix] == b[prefix] { prefix += 1 }
    return jaro + Double(prefix) * 0.1 * (1 - jaro)
}

public func jaroWinkler(_ a: String, _ b: String) -> Double {
    let x = Array(a.utf8), y = Array(b.utf8)
    return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in jaroWinkler(p, q) } }
}

/// How two dates of birth (as yyyymmdd numbers) differ, from the closest.
public enum DOBAgreement: Equatable, Sendable {
    case exact, dayMonthSwap, oneDigit, other
}

public func compareDOB(_ a: Int32, _ b: Int32) -> DOBAgreement {
    if a == b { return .exact }
    let ya = a / 10000, ma = (a / 100) % 100, da = a % 100
    let yb = b / 10000, mb = (b / 100) % 100, db = b % 100
    if ya == yb && ma == db && da == mb { return .dayMonthSwap }
    // One of the eight digits changed, or two neighbouring digits swapped.
    var differ = 0, p0 = -1, p1 = -1
    var a0: Int32 = 0, b0: Int32 = 0, a1: Int32 = 0, b1: Int32 = 0
    var x = a, y = b
    for k in 0..<8 {
        let u = x % 10, v = y % 10
        if u != v {
            differ += 1
            if differ == 1 { p0 = k; a0 = u; b0 = v } else if differ == 2 { p1 = k; a1 = u; b1 = v }
        }
        x /= 10; y /= 10
    }
    if differ == 1 { return .oneDigit }
    if differ == 2 && p1 == p0 + 1 && a0 == b1 && a1 == b0 { return .oneDigit }
    return .other
}

/// How two postcodes agree: `LE1 6ZG` against `LE1 6ZG` (full), `LE1 6AB`
/// (sector), `LE1 7XX` (district); against `LE1`, all one side gives
/// (`districtOnly`: no evidence either way, since a record that holds only
/// the district can agree no further). A code that does not start with a
/// letter is not a UK postcode (another country's, `2119`): it has no
/// district, and agrees exactly or not at all.
public enum PostcodeAgreement: Equatable, Sendable {
    case exact, sector, district, districtOnly, other
}

public func comparePostcodes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> PostcodeAgreement {
    let sa = firstSpace(a), sb = firstSpace(b)
    if !startsWithLetter(a) || !startsWithLetter(b) { return a.count == b.count && memEqual(a.baseAddress!, b.baseAddress!, a.count) ? .exact : .other }
    let outA = sa ?? a.count, outB = sb ?? b.count
    guard outA == outB, memEqual(a.baseAddress!, b.baseAddress!, outA) else { return .other }
    guard let sa, let sb, sa + 1 < a.count, sb + 1 < b.count else { return .districtOnly }
    if a.count == b.count && memEqual(a.baseAddress!, b.baseAddress!, a.count) { return .exact }
    return a[sa + 1] == b[sb + 1] ? .sector : .district
}

@inline(__always) func startsWithLetter(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let c = p.first else { return false }
    return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A
}

@inline(__always) func firstSpace(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
    for i in 0..<p.count where p[i] == 0x20 { return i }
    return nil
}

@inline(__always) func memEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
