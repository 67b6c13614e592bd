import LLRCore

/// `free-text`: hand-typed text that must map to a code through a code
/// list's forms (VCS sex and ethnicity). The normaliser maps it the same way.
public struct FreeTextRule: ValidationRule {
    public static let name = "free-text"
    public static let codes: [FindingCode] = [.unmappedValue]
    public static let summary = "Hand-typed text maps to a code through a code list's known forms; an unknown form counts as not known."
    public let field: String
    public let codelist: String

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        field = try s.field("field")
        codelist = try s.codelist("codelist")
    }
    public var describe: String { "\(field) through \(codelist)" }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        [Check(field: c.index(field), list: c.pipelines.codelists[codelist]!, severity: c.severity(.unmappedValue))]
    }

    final class Check: RowCheck {
        let field: Int, list: CodeList, severity: Severity
        init(field: Int, list: CodeList, severity: Severity) { self.field = field; self.list = list; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let cell = row.cell(field), cell.count > 0, list.code(forText: cell) == nil else { return }
            let examples = list.codes.prefix(6).compactMap { list.aliases[$0]?.first }.joined(separator: ", ")
            row.report(.unmappedValue, severity: severity, field: field,
                       "\(row.fieldName(field)) '\(displayString(cell))' is not a known form (such as \(examples)…); it will count as not known")
        }
    }
}

extension FamilySchema {
    /// The code list a free-text field maps through, if a rule says so.
    public func freeTextCodeList(_ field: String) -> String? {
        for r in rules { if let ft = r.rule as? FreeTextRule, ft.field == field { return ft.codelist } }
        return nil
    }
}
