import LLRCore

/// `formula-like`: text a spreadsheet would run as a formula (it begins
/// with =, +, -, @, a tab or a carriage return). It is kept, and every CSV
/// the pipeline writes quotes it with a leading apostrophe, so the warning
/// tells the partner how their words will appear.
public struct FormulaLikeRule: ValidationRule {
    public static let name = "formula-like"
    public static let codes: [FindingCode] = [.formulaLike]
    public static let summary = "Free text does not begin like a spreadsheet formula (=, +, -, @, tab)."
    public let fields: [String]

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        fields = try s.fieldList("fields")
    }
    public var describe: String { fields.joined(separator: ", ") + " not formula-like" }

    func compile(_ c: RuleCompiler) -> [RowCheck] { [Check(fields: fields.map(c.index), severity: c.severity(.formulaLike))] }

    final class Check: RowCheck {
        let fields: [Int], severity: Severity
        init(fields: [Int], severity: Severity) { self.fields = fields; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            for f in fields {
                guard let cell = row.cell(f), startsLikeFormula(cell), let first = cell.first else { continue }
                row.report(.formulaLike, severity: severity, field: f,
                           "\(row.fieldName(f)) begins with '\(Character(UnicodeScalar(first)))', which a spreadsheet runs as a formula: it is kept as text, shown with a leading apostrophe; start it with a word instead")
            }
        }
    }
}
