import LLRCore

/// `ods-practice`: a GP practice's ODS code as the NHS writes it: one
/// capital letter and five digits. A code in lower case is read, but the
/// partner's system should hold it as issued; the ODS placeholders V81997
/// (no registered practice), V81998 (not applicable) and V81999 (not known)
/// are not a practice, and say so.
public struct ODSPracticeRule: ValidationRule {
    public static let name = "ods-practice"
    public static let codes: [FindingCode] = [.constraintError]
    public static let summary = "A GP practice code is one capital letter and five digits, and not an ODS placeholder (V81997 no registered practice, V81998 not applicable, V81999 not known)."
    public let field: String

    public init(reading s: inout RuleSettings) throws(PipelineError) { field = try s.field("field") }
    public var describe: String { "\(field): an ODS practice code, not a placeholder" }

    func compile(_ c: RuleCompiler) -> [RowCheck] { [Check(field: c.index(field), severity: c.severity(.constraintError))] }

    static let placeholders: [String: String] = ["V81997": "no registered GP practice", "V81998": "not applicable", "V81999": "not known"]

    final class Check: RowCheck {
        let field: Int, severity: Severity
        init(field: Int, severity: Severity) { self.field = field; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let cell = row.cell(field), cell.count == 6, isASCIILetter(cell[0]), cell.dropFirst().allSatisfy(isDigit) else { return }
            let text = displayString(cell)
            if let meaning = ODSPracticeRule.placeholders[text.uppercased()] {
                row.report(.constraintError, severity: severity, field: field,
                           "\(row.fieldName(field)) \(text) is the ODS placeholder for '\(meaning)', not a practice: leave it empty, or give the child's practice")
            } else if cell[0] >= 0x61 {
                row.report(.constraintError, severity: severity, field: field,
                           "\(row.fieldName(field)) \(text) is in lower case: ODS codes are issued in capitals (\(text.uppercased()))")
            }
        }
    }
}
