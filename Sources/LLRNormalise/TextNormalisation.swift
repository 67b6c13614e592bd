import LLRCore

/// Byte-level normalisation of identifying text, written into a caller's
/// buffer so the row loop allocates nothing.
public enum TextNormalisation {
    /// Names: upper case, accents folded (ZOË → ZOE), punctuation other than
    /// hyphen and apostrophe dropped, whitespace collapsed and trimmed.
    public static func name(_ cell: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        intoArray(&out, room: cell.count) { name(cell, to: $0) }
    }

    /// The same, written at `out` (room for `cell.count` bytes: no form is
    /// longer than its source); returns the bytes written.
    public static func name(_ cell: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        var pendingSpace = false
        var i = 0
        let n = cell.count
        @inline(__always) func put(_ b: UInt8) {
            if pendingSpace && count > 0 { out[count] = 0x20; count += 1 }
            pendingSpace = false
            out[count] = b
            count += 1
        }
        while i < n {
            let b = cell[i]
            if b < 0x80 {
                if isASCIILetter(b) || isDigit(b) { put(asciiUpper(b)) }
                else if b == 0x2D || b == 0x27 { put(b) }
                else if isASCIISpace(b) { pendingSpace = true }
                // other punctuation is dropped
                i += 1
                continue
            }
            // Two-byte UTF-8: Latin-1 Supplement and Latin Extended-A letters fold to ASCII.
            if b & 0xE0 == 0xC0 && i + 1 < n {
                let scalar = (Int(b & 0x1F) << 6) | Int(cell[i + 1] & 0x3F)
                if let folded = fold(scalar) {
                    for c in folded.utf8 { put(c) }
                }
                i += 2
                continue
            }
            // Three-byte: curly apostrophe (U+2019) kept as an apostrophe; others dropped.
            if b == 0xE2 && i + 2 < n && cell[i + 1] == 0x80 && (cell[i + 2] == 0x99 || cell[i + 2] == 0x98) {
                put(0x27)
                i += 3
                continue
            }
            i += 1
            while i < n && cell[i] & 0xC0 == 0x80 { i += 1 }
        }
        return count
    }

    /// Runs a pointer-writing form into a caller's array.
    static func intoArray(_ out: inout [UInt8], room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        out.removeAll(keepingCapacity: true)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(room, 1)) { tmp in
            let n = write(tmp.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[0..<n]))
        }
    }

    /// The ASCII form of a Latin letter with a diacritic, upper-cased.
    static func fold(_ s: Int) -> String? {
        switch s {
        case 0xC0...0xC5, 0xE0...0xE5, 0x100...0x105: return "A"
        case 0xC6, 0xE6: return "AE"
        case 0xC7, 0xE7, 0x106...0x10D: return "C"
        case 0x10E...0x111, 0xD0, 0xF0: return "D"
        case 0xC8...0xCB, 0xE8...0xEB, 0x112...0x11B: return "E"
        case 0x11C...0x123: return "G"
        case 0x124...0x127: return "H"
        case 0xCC...0xCF, 0xEC...0xEF, 0x128...0x131: return "I"
        case 0x134, 0x135: return "J"
        case 0x136, 0x137: return "K"
        case 0x139...0x142: return "L"
        case 0xD1, 0xF1, 0x143...0x148: return "N"
        case 0xD2...0xD6, 0xD8, 0xF2...0xF6, 0xF8, 0x14C...0x151: return "O"
        case 0x152, 0x153: return "OE"
        case 0x154...0x159: return "R"
        case 0x15A...0x161, 0xDF: return s == 0xDF ? "SS" : "S"
        case 0x162...0x167: return "T"
        case 0xD9...0xDC, 0xF9...0xFC, 0x168...0x173: return "U"
        case 0x174, 0x175: return "W"
        case 0xDD, 0xFD, 0xFF, 0x176...0x178: return "Y"
        case 0x179...0x17E: return "Z"
        default: return nil
        }
    }

    /// Postcodes: spaces removed and upper case, then `LE1 6ZG` when the
    /// last three characters are an inward code; a district alone (`LE4`)
    /// stays a district. `district` receives the outward part.
    public static func postcode(_ cell: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], district: inout [UInt8]) {
        var districtCount = 0
        intoArray(&out, room: cell.count + 1) { p in
            let (n, d) = postcode(cell, to: p)
            districtCount = d
            return n
        }
        district.removeAll(keepingCapacity: true)
        district.append(contentsOf: out[0..<districtCount])
    }

    /// The same, written at `out` (room for `cell.count + 1` bytes); returns
    /// the bytes written and how many of the first of them are the district.
    public static func postcode(_ cell: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> (count: Int, district: Int) {
        var n = 0
        for b in cell where !isASCIISpace(b) { out[n] = asciiUpper(b); n += 1 }
        guard n >= 5 && isDigit(out[n - 3]) && isASCIILetter(out[n - 2]) && isASCIILetter(out[n - 1]) else { return (n, n) }
        out[n] = out[n - 1]; out[n - 1] = out[n - 2]; out[n - 2] = out[n - 3]
        out[n - 3] = 0x20
        return (n + 1, n - 3)
    }

    /// NHS numbers: the digits only, written at `out` (room for `cell.count` bytes).
    public static func digits(_ cell: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        for b in cell where isDigit(b) { out[n] = b; n += 1 }
        return n
    }

    /// Room enough for any date or timestamp these write.
    public static let dateRoom = 32

    /// A date as ISO 8601, written at `out` (room for `dateRoom` bytes).
    public static func isoDate(_ d: CivilDate, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        if d.year >= 0 && d.year < 10000 {
            // Four digits, as ISO 8601 has them.
            n = writeTwoDigits(d.year / 100, to: out)
            n += writeTwoDigits(d.year % 100, to: out + 2)
        } else {
            n = writeDigits(d.year, to: out)
        }
        out[n] = 0x2D
        n += 1 + writeTwoDigits(d.month, to: out + n + 1)
        out[n] = 0x2D
        n += 1 + writeTwoDigits(d.day, to: out + n + 1)
        return n
    }

    /// A timestamp as ISO 8601 (`2024-04-03T21:15`) from its date and minute
    /// of the day, or the date alone at midnight; written at `out` (room for `dateRoom` bytes).
    public static func isoDateTime(_ date: CivilDate, minuteOfDay m: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = isoDate(date, to: out)
        guard m != 0 else { return n }
        out[n] = 0x54
        n += 1 + writeTwoDigits(m / 60, to: out + n + 1)
        out[n] = 0x3A
        n += 1 + writeTwoDigits(m % 60, to: out + n + 1)
        return n
    }

    /// At least two digits (`04`, `12`, `123`).
    @inline(__always) static func writeTwoDigits(_ v: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        guard v >= 0 && v < 100 else { return writeDigits(v, to: out) }
        out[0] = UInt8(48 + v / 10)
        out[1] = UInt8(48 + v % 10)
        return 2
    }
}
