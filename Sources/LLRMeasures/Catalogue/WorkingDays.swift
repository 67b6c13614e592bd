import LLRCore

/// England and Wales working days (`Pipelines/bankholidays.yaml`): not a
/// Saturday, a Sunday or a bank holiday of a listed year.
public struct WorkingDays: Sendable {
    public let source: String
    public let years: ClosedRange<Int>
    private let holidays: Set<Int>

    public init(source: String, years: ClosedRange<Int>, holidays: Set<Int>) {
        self.source = source; self.years = years; self.holidays = holidays
    }

    public struct OutsideYears: Error, CustomStringConvertible {
        public let day: CivilDate
        public let years: ClosedRange<Int>
        public var description: String {
            "\(day) is outside the years whose bank holidays Pipelines/bankholidays.yaml lists (\(years.lowerBound)–\(years.upperBound)): add the year from gov.uk"
        }
    }

    public func isWorkingDay(_ day: Int) throws(OutsideYears) -> Bool {
        let date = CivilDate(dayNumber: day)
        guard years.contains(date.year) else { throw OutsideYears(day: date, years: years) }
        // Day 0 (1970-01-01) was a Thursday: 0 = Thursday … 2 = Saturday, 3 = Sunday.
        let weekday = ((day % 7) + 7) % 7
        return weekday != 2 && weekday != 3 && !holidays.contains(day)
    }

    /// The day reached by counting `n` working days forward from the day
    /// after `day` ("within n working days of day" means on or before it).
    public func adding(_ n: Int, workingDaysTo day: Int) throws(OutsideYears) -> Int {
        var d = day, left = n
        while left > 0 {
            d += 1
            if try isWorkingDay(d) { left -= 1 }
        }
        return d
    }

    public static func load(path: String, name: String) throws(PipelineError) -> WorkingDays {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the bank holidays")
        let source = try root.requiredString("source")
        guard var years = try root.map("years") else { throw PipelineError(file: name, line: root.line, "'years' is required") }
        var holidays = Set<Int>(), listed: [Int] = []
        for key in years.keys {
            guard let year = Int(key), (1900...2200).contains(year) else { throw years.error(key, "'\(key)' is not a year") }
            for text in try years.strings(key) ?? [] {
                guard let d = CivilDate(iso: text), d.year == year else {
                    throw years.error(key, "'\(text)' is not a date of \(year) written yyyy-mm-dd")
                }
                holidays.insert(d.dayNumber)
            }
            listed.append(year)
        }
        try years.finish()
        try root.finish(allowed: ["source", "years"])
        listed.sort()
        guard let first = listed.first, let last = listed.last else { throw PipelineError(file: name, line: root.line, "no years are listed") }
        if let gap = zip(listed, listed.dropFirst()).first(where: { $1 != $0 + 1 }) {
            throw years.error(String(gap.1), "the years must follow on: \(gap.0 + 1) is missing")
        }
        return WorkingDays(source: source, years: first...last, holidays: holidays)
    }
}
