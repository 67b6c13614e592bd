import LLRCore

/// `not-after-as-of`: dates that cannot be after the day the return was made
/// (dates of birth, end dates).
public struct NotAfterAsOfRule: ValidationRule {
    public static let name = "not-after-as-of"
    public static let codes: [FindingCode] = [.futureDate]
    public static let summary = "A date is not after the day the return was made (the file's date, or --as-of)."
    public let fields: [String]

    public init(reading s: inout RuleSettings) throws(PipelineError) { fields = try s.fieldList("fields") }
    public var describe: String { fields.joined(separator: ", ") }

    func compile(_ c: RuleCompiler) -> [RowCheck] { fields.map { Check(field: c.index($0), severity: c.severity(.futureDate)) } }

    final class Check: RowCheck {
        let field: Int, severity: Severity
        init(field: Int, severity: Severity) { self.field = field; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            let limit = row.asOfDay
            guard let v = row.value(field), Minutes.day(v) > limit else { return }
            row.report(.futureDate, severity: severity, field: field,
                       "\(row.fieldName(field)) \(row.text(field)) is after the date of the return (\(dayString(limit)))")
        }
    }
}
