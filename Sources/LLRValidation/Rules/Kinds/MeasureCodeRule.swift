import LLRCore

/// `measure-code`: a commentary row names a measure of the board's
/// catalogue, or one of the sending partner's own measures (measures.yaml).
public struct MeasureCodeRule: ValidationRule {
    public static let name = "measure-code"
    public static let codes: [FindingCode] = [.unknownMeasure]
    public static let summary = "A cell names a measure of measures.yaml: the board's catalogue, or the sending partner's own measures."
    public let field: String

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        field = try s.field("field")
    }
    public var describe: String { "\(field) is a measure of measures.yaml" }

    public func check(against contract: Pipelines, file: String, line: Int) throws(PipelineError) {
        if contract.measureCodes.isEmpty { throw PipelineError(file: file, line: line, "rule measure-code needs the measures of measures.yaml, and there are none") }
    }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        [Check(field: c.index(field), book: c.pipelines.measureCodes, severity: c.severity(.unknownMeasure))]
    }

    final class Check: RowCheck {
        let field: Int, book: MeasureCodeBook, severity: Severity
        init(field: Int, book: MeasureCodeBook, severity: Severity) { self.field = field; self.book = book; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let cell = row.cell(field), cell.count > 0 else { return }
            let code = displayString(cell)
            guard book.unit(of: code, partner: row.partner) == nil else { return }
            let own = row.partner.map { " or one of \($0)'s own measures" } ?? ""
            let near = ContractNames("", book.codes(for: row.partner)).nearest(to: code).map { " Did you mean \($0)?" } ?? ""
            row.report(.unknownMeasure, severity: severity, field: field,
                       "\(row.fieldName(field)) '\(code)' is not a measure of the board's catalogue\(own).\(near) The codes are listed in docs/contract/measures.md")
        }
    }
}
