import LLRCore

/// `date-order`: an end date not before its start ("not before reported_at").
public struct DateOrderRule: ValidationRule {
    public static let name = "date-order"
    public static let codes: [FindingCode] = [.dateOrder]
    public static let summary = "An end date is not before its start date."
    public let start: String, end: String

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        start = try s.field("start")
        end = try s.field("end")
    }
    public var describe: String { "\(end) not before \(start)" }

    func compile(_ c: RuleCompiler) -> [RowCheck] { [Check(start: c.index(start), end: c.index(end), severity: c.severity(.dateOrder))] }

    final class Check: RowCheck {
        let start: Int, end: Int, severity: Severity
        init(start: Int, end: Int, severity: Severity) { self.start = start; self.end = end; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let s = row.value(start), let e = row.value(end), e < s else { return }
            row.report(.dateOrder, severity: severity, field: end,
                       "\(row.fieldName(end)) \(row.text(end)) is before \(row.fieldName(start)) \(row.text(start))")
        }
    }
}
