/// A UK financial-year quarter: Q1 April–June … Q4 January–March, so
/// `2024-25 Q4` is January–March 2025.
public struct FinancialQuarter: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The calendar year the financial year starts in (2024 for 2024-25).
    public var startYear: Int
    public var quarter: Int

    public init?(startYear: Int, quarter: Int) {
        guard (1...4).contains(quarter), startYear > 1900, startYear < 3000 else { return nil }
        self.startYear = startYear
        self.quarter = quarter
    }

    /// Accepts `2024-25_Q1`, `2024-25 Q1` and `2024-25Q1`.
    public init?(_ text: String) {
        let t = text.trimmingCharactersASCII()
        let u = Array(t.utf8)
        guard u.count >= 9, let fy = FinancialQuarter.parseFinancialYear(Array(u[0..<7])) else { return nil }
        var rest = u[7...]
        if rest.first == UInt8(ascii: "_") || rest.first == 0x20 { rest = rest.dropFirst() }
        guard rest.count == 2, rest.first == UInt8(ascii: "Q") || rest.first == UInt8(ascii: "q"),
              let q = Int(String(decoding: rest.dropFirst(), as: UTF8.self)) else { return nil }
        self.init(startYear: fy, quarter: q)
    }

    /// `2024-25` → 2024; the second year must follow the first.
    static func parseFinancialYear(_ u: [UInt8]) -> Int? {
        guard u.count == 7, u[4] == UInt8(ascii: "-"), u[0..<4].allSatisfy(isDigit), u[5...].allSatisfy(isDigit) else { return nil }
        let y = Int(String(decoding: u[0..<4], as: UTF8.self))!
        let yy = Int(String(decoding: u[5...], as: UTF8.self))!
        return (y + 1) % 100 == yy ? y : nil
    }

    public var financialYear: String {
        let next = (startYear + 1) % 100
        return "\(startYear)-\(next < 10 ? "0" : "")\(next)"
    }

    /// `2024-25 Q1`, as reports show it.
    public var description: String { "\(financialYear) Q\(quarter)" }
    /// `2024-25_Q1`, as file names carry it.
    public var fileToken: String { "\(financialYear)_Q\(quarter)" }

    public var firstDay: CivilDate {
        let month = 4 + (quarter - 1) * 3
        return month > 12 ? CivilDate(year: startYear + 1, month: month - 12, day: 1) : CivilDate(year: startYear, month: month, day: 1)
    }

    public var lastDay: CivilDate {
        let endMonth = 6 + (quarter - 1) * 3
        let (y, m) = endMonth > 12 ? (startYear + 1, endMonth - 12) : (startYear, endMonth)
        return CivilDate(year: y, month: m, day: CivilDate.daysIn(month: m, year: y))
    }

    public static func < (a: FinancialQuarter, b: FinancialQuarter) -> Bool { (a.startYear, a.quarter) < (b.startYear, b.quarter) }

    /// The quarter a date falls in.
    public init(containing d: CivilDate) {
        let fy = d.month >= 4 ? d.year : d.year - 1
        let q = d.month >= 4 ? (d.month - 4) / 3 + 1 : 4
        self.init(startYear: fy, quarter: q)!
    }
}

extension String {
    public func trimmingCharactersASCII() -> String {
        let u = Array(utf8)
        var lo = 0, hi = u.count
        while lo < hi && isASCIISpace(u[lo]) { lo += 1 }
        while hi > lo && isASCIISpace(u[hi - 1]) { hi -= 1 }
        return String(decoding: u[lo..<hi], as: UTF8.self)
    }
}
