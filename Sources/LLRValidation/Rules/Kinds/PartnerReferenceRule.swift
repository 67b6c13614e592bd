import LLRCore

/// `partner-reference`: a cell naming a partner of one family by code or
/// any registered name (a VCS return's org_code).
public struct PartnerReferenceRule: ValidationRule {
    public static let name = "partner-reference"
    public static let codes: [FindingCode] = [.unmappedValue]
    public static let summary = "A cell names a partner of the given family in the registry, by code or any of its names."
    public let field: String
    public let family: String
    let familyLine: Int

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        field = try s.field("field")
        family = try s.requiredString("family")
        familyLine = s.lineOf("family")
    }
    public var describe: String { "\(field) is a \(family) partner" }

    public func check(against contract: Pipelines, file: String, line: Int) throws(PipelineError) {
        try ContractNames("a family", contract.families.keys).check(family, file: file, line: familyLine, in: "rule partner-reference")
    }

    func compile(_ c: RuleCompiler) -> [RowCheck] { [Check(field: c.index(field), family: family, severity: c.severity(.unmappedValue))] }

    final class Check: RowCheck {
        let field: Int, family: String, severity: Severity
        init(field: Int, family: String, severity: Severity) { self.field = field; self.family = family; self.severity = severity }

        override func check(_ row: ReturnValidator) {
            guard let cell = row.cell(field), cell.count > 0 else { return }
            if let p = row.registry.resolve(cell), p.family == family { return }
            let codes = row.registry.partners.filter { $0.family == family }.map(\.code).joined(separator: ", ")
            row.report(.unmappedValue, severity: severity, field: field,
                       "\(row.fieldName(field)) '\(displayString(cell))' is not a \(family) partner in the registry (codes: \(codes), or their names)")
        }
    }
}
