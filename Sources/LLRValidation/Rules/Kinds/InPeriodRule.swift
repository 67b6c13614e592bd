import LLRCore

/// `in-period`: events belong to the return's quarter. One that starts after
/// the quarter is an error; one that starts before it is late reporting (a
/// warning), unless it is a spell still open in the quarter.
public struct InPeriodRule: ValidationRule {
    public static let name = "in-period"
    public static let codes: [FindingCode] = [.dateOutOfPeriod, .lateRecord]
    public static let summary = "An event starts inside the return's quarter: after it is an error, before it is reported late (a warning) unless it is a spell still open in the quarter."
    public let start: String
    public let end: String?
    public let openSpell: RowCondition?

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        start = try s.field("start")
        end = try s.optionalField("end")
        openSpell = try s.condition("openSpell")
    }
    public var describe: String {
        let spell = openSpell.map { c in "; a spell (\(c.field) \(c.isIn?.joined(separator: ", ") ?? "")) still open is not late" } ?? ""
        return "\(start) in the quarter" + spell
    }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        // The rule's own severity is for date-out-of-period; late records keep the catalogue's.
        [Check(start: c.index(start), end: end.map(c.index), openSpell: openSpell.map(c.condition), severity: c.override)]
    }

    final class Check: RowCheck {
        let start: Int, end: Int?, openSpell: CompiledCondition?, severity: Severity?
        init(start: Int, end: Int?, openSpell: CompiledCondition?, severity: Severity?) {
            self.start = start; self.end = end; self.openSpell = openSpell; self.severity = severity
        }

        override func check(_ row: ReturnValidator) {
            guard let q = row.quarter, let (first, last) = row.quarterDays, let s = row.value(start) else { return }
            let day = Minutes.day(s)
            if day > last {
                row.report(.dateOutOfPeriod, severity: severity ?? row.catalogSeverity(.dateOutOfPeriod), field: start,
                           "\(row.fieldName(start)) \(row.text(start)) is after the end of \(q) (\(dayString(last))): it belongs in a later return")
            } else if day < first {
                if let spell = openSpell, row.holds(spell) {
                    let stillOpen = end.flatMap { row.value($0) }.map { Minutes.day($0) >= first } ?? true
                    if stillOpen { return }
                }
                row.report(.lateRecord, severity: row.catalogSeverity(.lateRecord), field: start,
                           "\(row.fieldName(start)) \(row.text(start)) is before \(q) (which starts \(dayString(first))): reported late")
            }
        }
    }
}
