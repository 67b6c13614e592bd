import LLRCore

/// NHS number: ten digits (spaces allowed) whose tenth is a modulus 11 check
/// digit over the first nine weighted 10 down to 2. Numbers starting 999 are
/// the NHS's test range and never belong to a real patient.
public enum NHSNumber {
    public enum Verdict: Equatable, Sendable {
        case valid
        case notTenDigits
        case testNumber
        case badCheckDigit(expected: Int?)
    }

    public static func check(_ cell: UnsafeBufferPointer<UInt8>) -> Verdict {
        var n = 0, sum = 0, last = 0
        var testRange = true
        for b in cell {
            if b == 0x20 { continue }
            guard isDigit(b), n < 10 else { return .notTenDigits }
            let v = Int(b &- 0x30)
            if n < 3 && v != 9 { testRange = false }
            if n < 9 { sum += v * (10 - n) } else { last = v }
            n += 1
        }
        guard n == 10 else { return .notTenDigits }
        if testRange { return .testNumber }
        var check = 11 - sum % 11
        if check == 11 { check = 0 }
        if check == 10 { return .badCheckDigit(expected: nil) }
        return check == last ? .valid : .badCheckDigit(expected: check)
    }

    public static func check(_ s: String) -> Verdict {
        var s = s
        return s.withUTF8 { check($0) }
    }
}
