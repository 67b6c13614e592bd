import LLRCore

/// DfE unique pupil number: a check letter then twelve characters (digits,
/// the last may be a letter in a temporary UPN). Characters 2–13 are weighted
/// 2–13, letters valued by their position in `ABCDEFGHJKLMNPQRTUVWXYZ`, and
/// the sum mod 23 indexes that alphabet to give the check letter. UN1–UN5 are
/// the DfE's reasons for having no UPN.
public enum UPN {
    static let alphabet = Array("ABCDEFGHJKLMNPQRTUVWXYZ".utf8)

    public enum Verdict: Equatable, Sendable {
        case valid
        case reasonCode
        case malformed
        case badCheckLetter(expected: Character)
    }

    public static func checkLetter(forLast12 chars: some Collection<UInt8>) -> UInt8? {
        var sum = 0
        for (i, c) in chars.enumerated() {
            let weight = i + 2
            let v: Int
            if isDigit(c) { v = Int(c &- 0x30) } else if let p = alphabet.firstIndex(of: asciiUpper(c)) { v = p } else { return nil }
            sum += v * weight
        }
        return alphabet[sum % 23]
    }

    public static func check(_ cell: UnsafeBufferPointer<UInt8>) -> Verdict {
        if cell.count == 3 && asciiUpper(cell[0]) == UInt8(ascii: "U") && asciiUpper(cell[1]) == UInt8(ascii: "N")
            && cell[2] >= UInt8(ascii: "1") && cell[2] <= UInt8(ascii: "5") {
            return .reasonCode
        }
        guard cell.count == 13, isASCIILetter(cell[0]) else { return .malformed }
        for i in 1..<12 where !isDigit(cell[i]) { return .malformed }
        guard isDigit(cell[12]) || alphabet.contains(asciiUpper(cell[12])) else { return .malformed }
        guard let expected = checkLetter(forLast12: cell[1...]) else { return .malformed }
        return asciiUpper(cell[0]) == expected ? .valid : .badCheckLetter(expected: Character(UnicodeScalar(expected)))
    }

    public static func check(_ s: String) -> Verdict {
        var s = s
        return s.withUTF8 { check($0) }
    }
}
