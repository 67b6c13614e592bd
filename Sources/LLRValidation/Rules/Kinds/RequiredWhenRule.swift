import LLRCore

/// `required-when`: a cell required, or forbidden, because of another cell
/// in the row (cp_category exactly for CP_PLAN; a VCS age when there is no dob).
public struct RequiredWhenRule: ValidationRule {
    public static let name = "required-when"
    public static let codes: [FindingCode] = [.conditionalRequired]
    public static let summary = "A cell is required when another cell holds a condition; with otherwiseEmpty, it must be empty otherwise."
    public let field: String
    public let when: RowCondition
    public let otherwiseEmpty: Bool

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        guard let when = try s.condition("when") else { throw s.error("when", "needs 'when'") }
        self.when = when
        field = try s.field("field")
        otherwiseEmpty = try s.bool("otherwiseEmpty") ?? false
    }
    public var describe: String {
        let cond = when.isIn.map { "\(when.field) is \($0.joined(separator: " or "))" } ?? "\(when.field) is \(when.isEmpty == true ? "empty" : "given")"
        return "\(field) required when \(cond)" + (otherwiseEmpty ? ", empty otherwise" : "")
    }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        [Check(field: c.index(field), when: c.condition(when), otherwiseEmpty: otherwiseEmpty, severity: c.severity(.conditionalRequired))]
    }

    final class Check: RowCheck {
        let field: Int, when: CompiledCondition, otherwiseEmpty: Bool, severity: Severity
        init(field: Int, when: CompiledCondition, otherwiseEmpty: Bool, severity: Severity) {
            self.field = field; self.when = when; self.otherwiseEmpty = otherwiseEmpty; self.severity = severity
        }

        override func check(_ row: ReturnValidator) {
            guard row.cell(field) != nil else { return }
            let holds = row.holds(when)
            if holds && row.isEmpty(field) {
                row.report(.conditionalRequired, severity: severity, field: field,
                           "\(row.fieldName(field)) is required when \(when.describe)")
            } else if !holds && otherwiseEmpty && !row.isEmpty(field) {
                row.report(.conditionalRequired, severity: severity, field: field,
                           "\(row.fieldName(field)) must be empty unless \(when.describe) (here \(row.fieldName(when.field)) is '\(row.text(when.field))')")
            }
        }
    }
}
