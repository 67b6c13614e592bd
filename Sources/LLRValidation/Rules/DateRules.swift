import LLRCore

/// `end` must not be before `start` (spec: "not before reported_at").
struct DateOrderRule: RowRule {
    let start: Int
    let end: Int
    let severity: Severity

    func check<Row: RowContext>(_ row: Row) {
        guard let s = row.value(start), let e = row.value(end), e < s else { return }
        row.report("date-order", severity: severity, field: end,
                   "\(row.fieldName(end)) \(row.text(end)) is before \(row.fieldName(start)) \(row.text(start))")
    }
}

/// Events belong to the return's quarter: one that starts after the quarter
/// is an error; one that starts before it is late reporting (a warning),
/// unless it is a spell still open in the quarter.
struct InPeriodRule: RowRule {
    let start: Int
    let end: Int?
    let openSpell: CompiledCondition?
    /// Overrides the severity of `date-out-of-period`; late records keep the catalogue's.
    let severity: Severity?

    func check<Row: RowContext>(_ row: Row) {
        guard let q = row.quarter, let (first, last) = row.quarterDays, let s = row.value(start) else { return }
        let day = Minutes.day(s)
        if day > last {
            row.report("date-out-of-period", severity: severity ?? row.catalogSeverity("date-out-of-period"), field: start,
                       "\(row.fieldName(start)) \(row.text(start)) is after the end of \(q) (\(dayString(last))): it belongs in a later return")
        } else if day < first {
            if let spell = openSpell, row.holds(spell) {
                let stillOpen = end.flatMap { row.value($0) }.map { Minutes.day($0) >= first } ?? true
                if stillOpen { return }
            }
            row.report("late-record", severity: row.catalogSeverity("late-record"), field: start,
                       "\(row.fieldName(start)) \(row.text(start)) is before \(q) (which starts \(dayString(first))): reported late")
        }
    }
}

/// A date that cannot be after the day the return was made (dob, end dates).
struct NotAfterAsOfRule: RowRule {
    let field: Int
    let severity: Severity

    func check<Row: RowContext>(_ row: Row) {
        let limit = row.asOfDay
        guard let v = row.value(field), Minutes.day(v) > limit else { return }
        row.report("future-date", severity: severity, field: field,
                   "\(row.fieldName(field)) \(row.text(field)) is after the date of the return (\(dayString(limit)))")
    }
}

/// Age at the event: a child (0–17 by default) is fine, a young adult up to
/// `warnMax` (care leavers) is a warning, anything else an error.
struct AgeRule: RowRule {
    let dob: Int
    let at: Int
    let childMin: Int
    let childMax: Int
    let warnMax: Int
    let severity: Severity

    func check<Row: RowContext>(_ row: Row) {
        guard let b = row.value(dob), let e = row.value(at) else { return }
        // Most rows: a span of days that settles the age band without a
        // calendar (any N years hold at least N*365 + N/4 - 1 days).
        let span = Minutes.day(e) - Minutes.day(b)
        if span >= childMin * 366 && span < (childMax + 1) * 365 + (childMax + 1) / 4 - 1 { return }
        let born = CivilDate(dayNumber: Minutes.day(b)), when = CivilDate(dayNumber: Minutes.day(e))
        if born > when {
            row.report("age-out-of-range", severity: severity, field: dob,
                       "\(row.fieldName(dob)) \(row.text(dob)) is after \(row.fieldName(at)) \(row.text(at)): the person was not yet born")
            return
        }
        let age = CivilDate.age(born: born, at: when)
        if age >= childMin && age <= childMax { return }
        if age > childMax && age <= warnMax {
            row.report("age-out-of-range", severity: .warning, field: dob,
                       "age \(age) at \(row.fieldName(at)) is over \(childMax): a young adult (care leaver?), check the date of birth")
        } else {
            row.report("age-out-of-range", severity: severity, field: dob,
                       "age \(age) at \(row.fieldName(at)) is outside \(childMin)–\(warnMax): check the date of birth")
        }
    }
}
