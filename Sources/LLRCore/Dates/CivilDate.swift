#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calendar arithmetic on day numbers (days since 1970-01-01), after Howard
/// Hinnant's civil-from-days algorithms: no Foundation, no allocation.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }

    public init(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    public var dayNumber: Int { CivilDate.dayNumber(year: year, month: month, day: day) }

    /// The UTC day of a Unix time (a file's modification time, now).
    public init(epochSeconds s: Int) { self.init(dayNumber: s >= 0 ? s / 86400 : (s - 86399) / 86400) }

    /// Today, in UTC.
    public static var today: CivilDate { CivilDate(epochSeconds: Int(time(nil))) }

    @inline(__always) public static func dayNumber(year y0: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    @inline(__always) public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @inline(__always) public static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    @inline(__always) public static func isReal(year: Int, month: Int, day: Int) -> Bool {
        month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month: month, year: year)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    /// ISO 8601, `2024-04-03`.
    public var description: String {
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Whole years between a birth date and a later date.
    public static func age(born: CivilDate, at: CivilDate) -> Int {
        var a = at.year - born.year
        if (at.month, at.day) < (born.month, born.day) { a -= 1 }
        return a
    }

    /// Parses `yyyy-mm-dd` (for command-line options and configuration).
    public init?(iso s: String) {
        let parts = s.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              CivilDate.isReal(year: y, month: m, day: d) else { return nil }
        self.init(year: y, month: m, day: d)
    }
}

/// Timestamps are kept as minutes since 1970-01-01 00:00, dates as the
/// midnight minute of their day; both compare directly.
public enum Minutes {
    public static let perDay: Int64 = 1440
    @inline(__always) public static func day(_ m: Int64) -> Int {
        Int(m >= 0 ? m / perDay : (m - perDay + 1) / perDay)
    }
}

/// Now, as `2026-11-22T04:20:19Z`.
public func timestampUTC() -> String {
    let t = Int(time(nil))
    let secs = t % 86400
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(CivilDate(epochSeconds: t))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
}
