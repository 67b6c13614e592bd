import LLRCore

/// Byte-level normalisation of identifying text, written into a caller's
/// buffer so the row loop allocates nothing.
public enum TextNormalisation {
    /// Names: upper case, accents folded (ZOË → ZOE), punctuation other than
    /// hyphen and apostrophe dropped, whitespace collapsed and trimmed.
    public static func name(_ cell: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var pendingSpace = false
        var i = 0
        let n = cell.count
        func put(_ b: UInt8) {
            if pendingSpace && !out.isEmpty { out.append(0x20) }
            pendingSpace = false
            out.append(b)
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
        out.removeAll(keepingCapacity: true)
        district.removeAll(keepingCapacity: true)
        for b in cell where !isASCIISpace(b) { out.append(asciiUpper(b)) }
        let n = out.count
        if n >= 5 && isDigit(out[n - 3]) && isASCIILetter(out[n - 2]) && isASCIILetter(out[n - 1]) {
            district.append(contentsOf: out[0..<(n - 3)])
            out.insert(0x20, at: n - 3)
        } else {
            district.append(contentsOf: out)
        }
    }

    /// NHS numbers: the digits only.
    public static func digits(_ cell: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        for b in cell where isDigit(b) { out.append(b) }
    }

    /// A day number as ISO 8601 (`2024-04-03`).
    public static func isoDate(_ day: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let d = CivilDate(dayNumber: day)
        appendDigits(d.year, to: &out)
        out.append(0x2D)
        if d.month < 10 { out.append(0x30) }
        appendDigits(d.month, to: &out)
        out.append(0x2D)
        if d.day < 10 { out.append(0x30) }
        appendDigits(d.day, to: &out)
    }

    /// A timestamp as ISO 8601 (`2024-04-03T21:15`), or the date alone at midnight.
    public static func isoDateTime(_ minutes: Int64, into out: inout [UInt8]) {
        let day = Minutes.day(minutes)
        isoDate(day, into: &out)
        let m = Int(minutes - Int64(day) * Minutes.perDay)
        guard m != 0 else { return }
        out.append(0x54)
        if m / 60 < 10 { out.append(0x30) }
        appendDigits(m / 60, to: &out)
        out.append(0x3A)
        if m % 60 < 10 { out.append(0x30) }
        appendDigits(m % 60, to: &out)
    }
}
