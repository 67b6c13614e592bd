import LLRCore

/// `nhs-number`: ten digits with a valid modulus 11 check digit; 999 test
/// numbers refused.
public struct NHSNumberRule: ValidationRule {
    public static let name = "nhs-number"
    public static let codes: [FindingCode] = [.nhsNumberChecksum, .constraintError]
    public static let summary = "An NHS number has 10 digits (spaces allowed) and a valid modulus 11 check digit; 999 test numbers are refused."
    public let field: String

    public init(reading s: inout RuleSettings) throws(PipelineError) { field = try s.field("field") }
    public var describe: String { field }

    func compile(_ c: RuleCompiler) -> [RowCheck] { [Check(field: c.index(field), severity: c.severity(.nhsNumberChecksum))] }

    final class Check: RowCheck {
        let field: Int, severity: Severity
        init(field: Int, severity: Severity) { self.field = field; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let cell = row.cell(field), cell.count > 0 else { return }
            let name = row.fieldName(field)
            switch NHSNumber.check(cell) {
            case .valid: return
            case .notTenDigits:
                row.report(.constraintError, severity: row.catalogSeverity(.constraintError), field: field,
                           "\(name) must be 10 digits (spaces allowed)")
            case .testNumber:
                row.report(.nhsNumberChecksum, severity: severity, field: field,
                           "\(name) starts 999: that is an NHS test number, not a patient's; give the real number or leave it empty")
            case .badCheckDigit(let expected):
                let hint = expected.map { "the check digit should be \($0)" } ?? "no tenth digit can make these nine digits valid"
                row.report(.nhsNumberChecksum, severity: severity, field: field,
                           "\(name) fails the modulus 11 check (\(hint)); check it against the Spine")
            }
        }
    }
}
