import LLRCore

/// `not-above`: one whole number not above another in the same row (a
/// numerator not above its denominator).
public struct NotAboveRule: ValidationRule {
    public static let name = "not-above"
    public static let codes: [FindingCode] = [.partsMismatch]
    public static let summary = "A whole number is not above another in the same row (a numerator not above its denominator)."
    public let field: String, limit: String

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        field = try s.field("field")
        limit = try s.field("limit")
    }
    public var describe: String { "\(field) not above \(limit)" }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        let f = c.index(field), l = c.index(limit)
        return [OrderedPairCheck(low: f, high: l, at: f, code: .partsMismatch, severity: c.severity(.partsMismatch)) { row in
            "\(row.fieldName(f)) \(row.text(f)) is above \(row.fieldName(l)) \(row.text(l)): a part cannot be more than its whole"
        }]
    }
}
