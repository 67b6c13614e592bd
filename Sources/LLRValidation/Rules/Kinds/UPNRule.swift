import LLRCore

/// `upn`: a DfE unique pupil number with its check letter, or a UN1–UN5 reason code.
public struct UPNRule: ValidationRule {
    public static let name = "upn"
    public static let codes: [FindingCode] = [.upnChecksum, .constraintError]
    public static let summary = "A unique pupil number has 13 characters with the DfE check letter, or is a reason code UN1–UN5."
    public let field: String

    public init(reading s: inout RuleSettings) throws(PipelineError) { field = try s.field("field") }
    public var describe: String { field }

    func compile(_ c: RuleCompiler) -> [RowCheck] { [Check(field: c.index(field), severity: c.severity(.upnChecksum))] }

    final class Check: RowCheck {
        let field: Int, severity: Severity
        init(field: Int, severity: Severity) { self.field = field; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let cell = row.cell(field), cell.count > 0 else { return }
            let name = row.fieldName(field)
            switch UPN.check(cell) {
            case .valid, .reasonCode: return
            case .malformed:
                row.report(.constraintError, severity: row.catalogSeverity(.constraintError), field: field,
                           "\(name) must be 13 characters (a check letter, then 12 digits, the last may be a letter) or UN1–UN5")
            case .badCheckLetter(let expected):
                row.report(.upnChecksum, severity: severity, field: field,
                           "\(name) has the wrong check letter (these digits give \(expected)); check it against the school's record")
            }
        }
    }
}
