/// A date or datetime layout in strptime notation as Frictionless Table
/// Schema writes it (`%d/%m/%Y %H:%M`), compiled once and applied to raw
/// bytes. `any` means the forms people type by hand, read day first.
public struct DateFormat: Sendable, Equatable {
    public enum Part: Equatable, Sendable { case day, month, year, hour, minute, second, literal(UInt8), space }
    public let parts: [Part]
    /// The same layout read by position, for cells at its full width.
    public let fixedWidth: FixedWidthLayout
    public let pattern: String
    public let isAny: Bool

    public static let iso = try! DateFormat("%Y-%m-%d")

    public init(_ pattern: String) throws(PatternError) {
        self.pattern = pattern
        if pattern == "any" { parts = []; fixedWidth = FixedWidthLayout([]); isAny = true; return }
        isAny = false
        var out: [Part] = []
        var it = Array(pattern.utf8).makeIterator()
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                switch it.next() {
                case UInt8(ascii: "d"): out.append(.day)
                case UInt8(ascii: "m"): out.append(.month)
                case UInt8(ascii: "Y"): out.append(.year)
                case UInt8(ascii: "H"): out.append(.hour)
                case UInt8(ascii: "M"): out.append(.minute)
                case UInt8(ascii: "S"): out.append(.second)
                case let x: throw PatternError("unsupported date directive %\(x.map { String(UnicodeScalar($0)) } ?? "") in \"\(pattern)\" (use %d %m %Y %H %M %S)")
                }
            } else if c == 0x20 {
                out.append(.space)
            } else {
                out.append(.literal(c))
            }
        }
        parts = out
        fixedWidth = FixedWidthLayout(out)
    }

    /// A human form of the layout for messages: `dd/mm/yyyy HH:MM`.
    public var display: String {
        if isAny { return "a day-first date such as 03/04/2024, 3 Apr 2024 or 2024-04-03" }
        return parts.map { p -> String in
            switch p {
            case .day: return "dd"
            case .month: return "mm"
            case .year: return "yyyy"
            case .hour: return "HH"
            case .minute: return "MM"
            case .second: return "SS"
            case .space: return " "
            case .literal(let c): return String(UnicodeScalar(c))
            }
        }.joined()
    }

    /// Writes minutes since 1970 in this layout (`any` writes day-first
    /// `dd/mm/yyyy`); the inverse of `parse` for fixed layouts.
    public func format(_ minutes: Int64) -> String {
        let day = Minutes.day(minutes)
        let d = CivilDate(dayNumber: day)
        let m = Int(minutes - Int64(day) * Minutes.perDay)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            var n = 0
            func two(_ v: Int) { buf[n] = UInt8(48 + v / 10 % 10); buf[n + 1] = UInt8(48 + v % 10); n += 2 }
            func four(_ v: Int) { buf[n] = UInt8(48 + v / 1000 % 10); buf[n + 1] = UInt8(48 + v / 100 % 10); n += 2; two(v % 100) }
            if isAny {
                two(d.day); buf[n] = 0x2F; n += 1; two(d.month); buf[n] = 0x2F; n += 1; four(d.year)
            } else {
                for p in parts where n < 32 {
                    switch p {
                    case .day: two(d.day)
                    case .month: two(d.month)
                    case .year: four(d.year)
                    case .hour: two(m / 60)
                    case .minute: two(m % 60)
                    case .second: two(0)
                    case .space: buf[n] = 0x20; n += 1
                    case .literal(let c): buf[n] = c; n += 1
                    }
                }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }

    public enum Outcome: Equatable {
        /// Minutes since 1970-01-01.
        case value(Int64)
        /// The layout is wrong.
        case malformed
        /// The layout is right but the date does not exist (31/02/2019).
        case notReal
    }

    /// Parses a trimmed cell. `pivotYear` places two-digit years for `any`.
    public func parse(_ b: UnsafeBufferPointer<UInt8>, pivotYear: Int = 2000) -> Outcome {
        if isAny { return DateFormat.parseAny(b, pivotYear: pivotYear) }
        return parts.withUnsafeBufferPointer { DateFormat.parse(parts: $0, fixedWidth: fixedWidth, b) }
    }

    /// A fixed layout held anywhere (the validator keeps its layouts in plain
    /// memory): a cell at the layout's full width is read by position, any
    /// other by walking the layout; both answer alike.
    @inline(__always) public static func parse(parts: UnsafeBufferPointer<Part>, fixedWidth: FixedWidthLayout, _ b: UnsafeBufferPointer<UInt8>) -> Outcome {
        fixedWidth.parse(b) ?? parse(parts: parts, b)
    }

    /// The fixed-layout parser walking the layout, part by part.
    @inline(__always) public static func parse(parts: UnsafeBufferPointer<Part>, _ b: UnsafeBufferPointer<UInt8>) -> Outcome {
        var i = 0
        let n = b.count
        var y = -1, mo = -1, d = -1, h = 0, mi = 0, s = 0
        @inline(__always) func digits(_ minCount: Int, _ maxCount: Int) -> Int? {
            var v = 0
            var k = 0
            while k < maxCount && i < n && isDigit(b[i]) { v = v * 10 + Int(b[i] &- 0x30); i += 1; k += 1 }
            return k >= minCount ? v : nil
        }
        for part in parts {
            switch part {
            case .day: guard let v = digits(1, 2) else { return .malformed }; d = v
            case .month: guard let v = digits(1, 2) else { return .malformed }; mo = v
            case .year: guard let v = digits(4, 4) else { return .malformed }; y = v
            case .hour: guard let v = digits(1, 2) else { return .malformed }; h = v
            case .minute: guard let v = digits(2, 2) else { return .malformed }; mi = v
            case .second: guard let v = digits(2, 2) else { return .malformed }; s = v
            case .space:
                guard i < n && b[i] == 0x20 else { return .malformed }
                while i < n && b[i] == 0x20 { i += 1 }
            case .literal(let c):
                guard i < n && b[i] == c else { return .malformed }
                i += 1
            }
        }
        guard i == n else { return .malformed }
        guard y >= 0, CivilDate.isReal(year: y, month: mo, day: d), h < 24, mi < 60, s < 60 else { return .notReal }
        return .value(Int64(CivilDate.dayNumber(year: y, month: mo, day: d)) * Minutes.perDay + Int64(h * 60 + mi))
    }

    /// Day-first dates as typed by hand: `3/4/2024`, `03-04-2024`, `3.4.24`,
    /// `3 Apr 2024`, `3 April 2024`, and ISO `2024-04-03`.
    public static func parseAny(_ b: UnsafeBufferPointer<UInt8>, pivotYear: Int) -> Outcome {
        // Three tokens at most, each a number (its digit count, its value) or
        // a month name (-1, its number): held in place, not in an array, as
        // this runs for every free-form date cell.
        var kinds = (0, 0, 0), values = (0, 0, 0)
        var count = 0
        func add(_ kind: Int, _ value: Int) {
            switch count {
            case 0: kinds.0 = kind; values.0 = value
            case 1: kinds.1 = kind; values.1 = value
            default: kinds.2 = kind; values.2 = value
            }
            count += 1
        }
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if isDigit(c) {
                var v = 0, k = 0
                while i < n && isDigit(b[i]) {
                    // Five digits or more are no part of a date (and a long run would overflow v).
                    if k == 4 { return .malformed }
                    v = v * 10 + Int(b[i] &- 0x30); i += 1; k += 1
                }
                guard count < 3 else { return .malformed }
                add(k, v)
            } else if isASCIILetter(c) {
                let s = i
                while i < n && isASCIILetter(b[i]) { i += 1 }
                guard let m = monthNumber(UnsafeBufferPointer(rebasing: b[s..<i])), count < 3 else { return .malformed }
                add(-1, m)
            } else if c == 0x2F || c == 0x2D || c == 0x2E || c == 0x20 || c == 0x2C {
                i += 1
            } else {
                return .malformed
            }
        }
        guard count == 3 else { return .malformed }
        var y: Int, m: Int, d: Int
        if kinds.0 == 4 {
            y = values.0; m = values.1; d = values.2
            if kinds.2 == -1 { return .malformed }
        } else {
            guard kinds.0 > 0 && kinds.0 <= 2, kinds.2 == 2 || kinds.2 == 4 else { return .malformed }
            d = values.0; m = values.1; y = values.2
            if kinds.1 > 2 { return .malformed }
            if kinds.2 == 2 { y += (2000 + y) > pivotYear ? 1900 : 2000 }
        }
        guard CivilDate.isReal(year: y, month: m, day: d) else { return .notReal }
        return .value(Int64(CivilDate.dayNumber(year: y, month: m, day: d)) * Minutes.perDay)
    }

    private static let monthNames: [[UInt8]] = ["january", "february", "march", "april", "may", "june", "july", "august",
                                                "september", "october", "november", "december"].map { Array($0.utf8) }

    static func monthNumber(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
        guard w.count >= 3 else { return nil }
        for (k, nb) in monthNames.enumerated() {
            // Three-letter abbreviation, "Sept", or the full name.
            guard w.count <= nb.count else { continue }
            var ok = true
            for j in 0..<w.count where asciiLower(w[j]) != nb[j] { ok = false; break }
            if ok && (w.count == 3 || w.count == nb.count || (k == 8 && w.count == 4)) { return k + 1 }
        }
        return nil
    }
}

public struct PatternError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// A fixed date layout with every number at its full width (`03/04/2024
/// 09:05`): a cell of exactly that width is read by position instead of by
/// walking the layout. `parse` answers nil for any other shape, which then
/// goes to `DateFormat.parse(parts:)`; where it answers, it answers the same.
public struct FixedWidthLayout: Equatable, Sendable {
    public let width: Int
    @usableFromInline var day = -1, month = -1, year = -1, hour = -1, minute = -1, second = -1
    /// Up to eight literal bytes and their positions, a byte each.
    @usableFromInline var literalPositions: UInt64 = 0
    @usableFromInline var literalBytes: UInt64 = 0
    @usableFromInline var literalCount = 0

    public init(_ parts: [DateFormat.Part]) {
        var p = 0
        var literals: [(at: Int, byte: UInt8)] = []
        for part in parts {
            switch part {
            case .day: day = p; p += 2
            case .month: month = p; p += 2
            case .year: year = p; p += 4
            case .hour: hour = p; p += 2
            case .minute: minute = p; p += 2
            case .second: second = p; p += 2
            case .literal(let c): literals.append((p, c)); p += 1
            case .space: literals.append((p, 0x20)); p += 1
            }
        }
        for (k, l) in literals.prefix(8).enumerated() {
            literalPositions |= UInt64(l.at & 0xFF) << (8 * UInt64(k))
            literalBytes |= UInt64(l.byte) << (8 * UInt64(k))
        }
        literalCount = min(literals.count, 8)
        let usable = literals.count <= 8 && p <= 255 && day >= 0 && month >= 0 && year >= 0
        width = usable ? p : 0
    }

    @inlinable public func parse(_ b: UnsafeBufferPointer<UInt8>) -> DateFormat.Outcome? {
        guard width > 0, b.count == width, let base = b.baseAddress else { return nil }
        for k in 0..<literalCount {
            let at = Int(truncatingIfNeeded: literalPositions >> (8 * UInt64(k))) & 0xFF
            if base[at] != UInt8(truncatingIfNeeded: literalBytes >> (8 * UInt64(k))) { return nil }
        }
        @inline(__always) func two(_ at: Int) -> Int {
            let a = base[at] &- 0x30, c = base[at + 1] &- 0x30
            return a < 10 && c < 10 ? Int(a) * 10 + Int(c) : -1
        }
        let d = two(day), m = two(month), y1 = two(year), y2 = two(year + 2)
        let h = hour < 0 ? 0 : two(hour), mi = minute < 0 ? 0 : two(minute), s = second < 0 ? 0 : two(second)
        guard d >= 0, m >= 0, y1 >= 0, y2 >= 0, h >= 0, mi >= 0, s >= 0 else { return nil }
        let y = y1 * 100 + y2
        guard CivilDate.isReal(year: y, month: m, day: d), h < 24, mi < 60, s < 60 else { return .notReal }
        return .value(Int64(CivilDate.dayNumber(year: y, month: m, day: d)) * Minutes.perDay + Int64(h * 60 + mi))
    }
}
