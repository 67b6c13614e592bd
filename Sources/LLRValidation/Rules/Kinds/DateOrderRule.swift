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

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        let s = c.index(start), e = c.index(end)
        return [OrderedPairCheck(low: s, high: e, at: e, code: .dateOrder, severity: c.severity(.dateOrder)) { row in
            "\(row.fieldName(e)) \(row.text(e)) is before \(row.fieldName(s)) \(row.text(s))"
        }]
    }
}
