import LLRCore

/// `age`: age at the event from the date of birth. A child (0–17 by default)
/// is fine, a young adult up to `warnMax` (care leavers) a warning,
/// anything else an error.
public struct AgeRule: ValidationRule {
    public static let name = "age"
    public static let codes: [FindingCode] = [.ageOutOfRange]
    public static let summary = "The age at the event, from the date of birth, is a child's (childMin–childMax); up to warnMax is a warning, beyond it an error."
    public let dob: String, at: String
    public let childMin: Int, childMax: Int, warnMax: Int

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        childMin = try s.int("childMin") ?? 0
        childMax = try s.int("childMax") ?? 17
        warnMax = try s.int("warnMax") ?? 25
        // The line named is that of the first number out of order.
        if let key = childMin < 0 ? "childMin" : childMin > childMax ? "childMax" : childMax > warnMax ? "warnMax" : nil {
            throw s.error(key, "needs 0 <= childMin <= childMax <= warnMax (here \(childMin), \(childMax), \(warnMax))")
        }
        dob = try s.field("dob")
        at = try s.field("at")
    }
    public var describe: String { "\(dob) at \(at): \(childMin)–\(childMax), warning to \(warnMax)" }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        [Check(dob: c.index(dob), at: c.index(at), childMin: childMin, childMax: childMax, warnMax: warnMax, severity: c.severity(.ageOutOfRange))]
    }

    final class Check: RowCheck {
        let dob: Int, at: Int, childMin: Int, childMax: Int, warnMax: Int, severity: Severity
        init(dob: Int, at: Int, childMin: Int, childMax: Int, warnMax: Int, severity: Severity) {
            self.dob = dob; self.at = at; self.childMin = childMin; self.childMax = childMax; self.warnMax = warnMax; self.severity = severity
        }

        override func check(_ row: ReturnValidator) {
            guard let b = row.value(dob), let e = row.value(at) else { return }
            // Most rows: a span of days that settles the age band without a
            // calendar (any N years hold at least N*365 + N/4 - 1 days).
            let span = Minutes.day(e) - Minutes.day(b)
            if span >= childMin * 366 && span < (childMax + 1) * 365 + (childMax + 1) / 4 - 1 { return }
            let born = CivilDate(dayNumber: Minutes.day(b)), when = CivilDate(dayNumber: Minutes.day(e))
            if born > when {
                row.report(.ageOutOfRange, severity: severity, field: dob,
                           "\(row.fieldName(dob)) \(row.text(dob)) is after \(row.fieldName(at)) \(row.text(at)): the person was not yet born")
                return
            }
            let age = CivilDate.age(born: born, at: when)
            if age >= childMin && age <= childMax { return }
            if age > childMax && age <= warnMax {
                row.report(.ageOutOfRange, severity: .warning, field: dob,
                           "age \(age) at \(row.fieldName(at)) is over \(childMax): a young adult (care leaver?), check the date of birth")
            } else {
                row.report(.ageOutOfRange, severity: severity, field: dob,
                           "age \(age) at \(row.fieldName(at)) is outside \(childMin)–\(warnMax): check the date of birth")
            }
        }
    }
}
