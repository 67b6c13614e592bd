import LLRTestSupport
import Testing
@testable import LLRCore

@Suite("Dates, quarters and date formats")
struct DatesTests {
    @Test(arguments: [
        (1970, 1, 1, 0), (2000, 2, 29, 11016), (2024, 4, 1, 19814), (1969, 12, 31, -1), (2025, 3, 31, 20178),
    ])
    func dayNumbers(y: Int, m: Int, d: Int, n: Int) {
        #expect(CivilDate.dayNumber(year: y, month: m, day: d) == n)
        #expect(CivilDate(dayNumber: n) == CivilDate(year: y, month: m, day: d))
    }

    @Test func roundTripEveryDayOverTwoCenturies() {
        for n in stride(from: -30000, to: 60000, by: 1) {
            let c = CivilDate(dayNumber: n)
            #expect(c.dayNumber == n)
            if c.dayNumber != n { break }
        }
    }

    @Test(arguments: [
        ("2009-02-14", "2024-02-13", 14), ("2009-02-14", "2024-02-14", 15), ("2008-02-29", "2024-02-28", 15), ("2008-02-29", "2024-02-29", 16),
    ])
    func ages(born: String, at: String, age: Int) {
        #expect(CivilDate.age(born: CivilDate(iso: born)!, at: CivilDate(iso: at)!) == age)
    }

    static let formatCases: [(String, String, String?)] = [
        // format, cell, expected ISO day (or "malformed"/"notReal")
        ("%d/%m/%Y", "14/02/2009", "2009-02-14"),
        ("%d/%m/%Y", "3/4/2024", "2024-04-03"),
        ("%d/%m/%Y", "31/02/2019", "notReal"),
        ("%d/%m/%Y", "29/02/2023", "notReal"),
        ("%d/%m/%Y", "29/02/2024", "2024-02-29"),
        ("%d/%m/%Y", "2019-02-01", "malformed"),
        ("%d/%m/%Y", "14/02/09", "malformed"),
        ("%d/%m/%Y", "14/02/2009x", "malformed"),
        ("%Y-%m-%d", "2024-06-30", "2024-06-30"),
        ("%Y-%m-%d", "2024-13-01", "notReal"),
        ("%d/%m/%Y %H:%M", "03/04/2024 21:15", "2024-04-03"),
        ("%d/%m/%Y %H:%M", "03/04/2024 24:15", "notReal"),
        ("%d/%m/%Y %H:%M", "03/04/2024", "malformed"),
        ("any", "3/4/2024", "2024-04-03"),
        ("any", "03-04-2024", "2024-04-03"),
        ("any", "3 Apr 2024", "2024-04-03"),
        ("any", "3 April 2024", "2024-04-03"),
        ("any", "3 Sept 2024", "2024-09-03"),
        ("any", "07.09.2012", "2012-09-07"),
        ("any", "2024-04-03", "2024-04-03"),
        ("any", "21/6/24", "2024-06-21"),
        ("any", "21/6/98", "1998-06-21"),
        ("any", "31/04/2024", "notReal"),
        ("any", "3 Foo 2024", "malformed"),
        ("any", "yesterday", "malformed"),
        ("any", "3/4", "malformed"),
        // A long run of digits is no date (it had overflowed the number and crashed the run).
        ("any", "99999999999999999999999", "malformed"),
        ("any", "3/4/99999999999999999999", "malformed"),
        ("any", "3/4/20240", "malformed"),
        ("any", "1 2 3 4", "malformed"),
        ("any", "3 Apr 2024 May", "malformed"),
        ("%d/%m/%Y", "99999999999999999999/1/2024", "malformed"),
    ]

    @Test(arguments: formatCases)
    func dateFormats(format: String, cell: String, expected: String?) throws {
        let f = try DateFormat(format)
        var s = cell
        let outcome = s.withUTF8 { f.parse($0, pivotYear: 2026) }
        switch outcome {
        case .value(let m): #expect(CivilDate(dayNumber: Minutes.day(m)).description == expected)
        case .malformed: #expect(expected == "malformed")
        case .notReal: #expect(expected == "notReal")
        }
    }

    /// The by-position reading of full-width cells answers exactly what the
    /// layout walk answers, and takes the common full-width cells.
    @Test(arguments: ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y"])
    func fullWidthReadingAgreesWithTheLayout(pattern: String) throws {
        let format = try DateFormat(pattern)
        let fixed = format.fixedWidth
        #expect(fixed.width > 0)
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let alphabet = Array("0123456789012345678901234567890123456789/-.: T9x".utf8)
        var answered = 0
        for trial in 0..<20_000 {
            // Half shaped like the layout with random digits, half random bytes.
            var cell = Array(pattern.replacingOccurrences(of: "%Y", with: "0000").replacingOccurrences(of: "%d", with: "00")
                .replacingOccurrences(of: "%m", with: "00").replacingOccurrences(of: "%H", with: "00")
                .replacingOccurrences(of: "%M", with: "00").replacingOccurrences(of: "%S", with: "00").utf8)
            for k in cell.indices where trial % 2 == 1 || cell[k] == 0x30 { cell[k] = alphabet[Int(next() % UInt64(alphabet.count))] }
            if trial % 5 == 0 { cell.removeLast() }
            let agrees = cell.withUnsafeBufferPointer { b -> Bool in
                guard let fast = fixed.parse(b) else { return true }
                answered += 1
                return fast == format.parts.withUnsafeBufferPointer { DateFormat.parse(parts: $0, b) }
            }
            if !agrees {
                Issue.record("\(pattern): '\(String(decoding: cell, as: UTF8.self))' read by position differs from the layout walk")
                break
            }
        }
        #expect(answered > 500)
        if pattern == "%d/%m/%Y" {
            Array("03/04/2024".utf8).withUnsafeBufferPointer {
                #expect(fixed.parse($0) == .value(Int64(CivilDate.dayNumber(year: 2024, month: 4, day: 3)) * 1440))
            }
        }
    }

    @Test func datetimeKeepsTheMinute() throws {
        var s = "03/04/2024 21:15"
        let v = s.withUTF8 { try! DateFormat("%d/%m/%Y %H:%M").parse($0) }
        #expect(v == .value(Int64(CivilDate(year: 2024, month: 4, day: 3).dayNumber) * 1440 + 21 * 60 + 15))
    }

    @Test func unsupportedDirectiveIsAConfigurationError() {
        #expect(throws: PatternError.self) { try DateFormat("%d/%b/%Y") }
    }

    @Test(arguments: [
        ("2024-25_Q1", "2024-04-01", "2024-06-30"), ("2024-25 Q2", "2024-07-01", "2024-09-30"),
        ("2024-25_Q3", "2024-10-01", "2024-12-31"), ("2024-25_Q4", "2025-01-01", "2025-03-31"),
    ])
    func quarters(text: String, first: String, last: String) {
        let q = FinancialQuarter(text)!
        #expect(q.firstDay.description == first)
        #expect(q.lastDay.description == last)
        #expect(FinancialQuarter(containing: q.firstDay) == q)
        #expect(FinancialQuarter(containing: q.lastDay) == q)
    }

    @Test(arguments: ["2024-26_Q1", "2024-25_Q5", "24-25_Q1", "2024-25", "2024-25_Q0", "Q1 2024"])
    func badQuarters(text: String) {
        #expect(FinancialQuarter(text) == nil)
    }
}
