import LLRCore

/// A cell required, or forbidden, because of another cell in the row
/// (cp_category exactly for CP_PLAN; a VCS age when there is no dob).
struct RequiredWhenRule: RowRule {
    let field: Int
    let when: CompiledCondition
    let otherwiseEmpty: Bool
    let severity: Severity

    func check(_ row: RowContext) {
        guard row.cell(field) != nil else { return }
        let holds = row.holds(when)
        if holds && row.isEmpty(field) {
            row.report("conditional-required", severity: severity, field: field,
                       "\(row.fieldName(field)) is required when \(when.describe)")
        } else if !holds && otherwiseEmpty && !row.isEmpty(field) {
            row.report("conditional-required", severity: severity, field: field,
                       "\(row.fieldName(field)) must be empty unless \(when.describe) (here \(row.fieldName(when.field)) is '\(row.text(when.field))')")
        }
    }
}

/// Hand-typed text that must map to a code through a code list's forms.
struct FreeTextRule: RowRule {
    let field: Int
    let list: CodeList
    let severity: Severity

    func check(_ row: RowContext) {
        guard let cell = row.cell(field), cell.count > 0, list.code(forText: cell) == nil else { return }
        let examples = list.codes.prefix(6).compactMap { list.aliases[$0]?.first }.joined(separator: ", ")
        row.report("unmapped-value", severity: severity, field: field,
                   "\(row.fieldName(field)) '\(displayString(cell))' is not a known form (such as \(examples)…); it will count as not known")
    }
}

/// A cell naming a partner organisation by code or any registered name.
struct PartnerReferenceRule: RowRule {
    let field: Int
    let family: String
    let severity: Severity

    func check(_ row: RowContext) {
        guard let cell = row.cell(field), cell.count > 0 else { return }
        if let p = row.registry.resolve(cell), p.family == family { return }
        let codes = row.registry.partners.filter { $0.family == family }.map(\.code).joined(separator: ", ")
        row.report("unmapped-value", severity: severity, field: field,
                   "\(row.fieldName(field)) '\(displayString(cell))' is not a \(family) partner in the registry (codes: \(codes), or their names)")
    }
}

func compileRules(_ schema: FamilySchema, pipelines: Pipelines, quarter: FinancialQuarter?) -> [RowRule] {
    let cat = pipelines.catalog
    func idx(_ name: String) -> Int { schema.index(of: name)! }
    var out: [RowRule] = []
    for spec in schema.rules where spec.applies(to: quarter) {
        func sev(_ code: String) -> Severity { spec.severity ?? cat.severity(code) }
        switch spec.kind {
        case .nhsNumber(let f): out.append(NHSNumberRule(field: idx(f), severity: sev("nhs-number-checksum")))
        case .upn(let f): out.append(UPNRule(field: idx(f), severity: sev("upn-checksum")))
        case .dateOrder(let s, let e): out.append(DateOrderRule(start: idx(s), end: idx(e), severity: sev("date-order")))
        case .inPeriod(let s, let e, let open):
            out.append(InPeriodRule(
                start: idx(s), end: e.map(idx), openSpell: open.map { CompiledCondition($0, schema: schema) },
                severity: spec.severity, lateSeverity: nil))
        case .notAfterAsOf(let fs): out.append(NotAfterAsOfRule(fields: fs.map(idx), severity: sev("future-date")))
        case .age(let d, let a, let lo, let hi, let warn):
            out.append(AgeRule(dob: idx(d), at: idx(a), childMin: lo, childMax: hi, warnMax: warn, severity: sev("age-out-of-range")))
        case .requiredWhen(let f, let when, let otherwise):
            out.append(RequiredWhenRule(field: idx(f), when: CompiledCondition(when, schema: schema), otherwiseEmpty: otherwise, severity: sev("conditional-required")))
        case .freeText(let f, let list):
            out.append(FreeTextRule(field: idx(f), list: pipelines.codelists[list]!, severity: sev("unmapped-value")))
        case .partnerReference(let f, let fam):
            out.append(PartnerReferenceRule(field: idx(f), family: fam, severity: sev("unmapped-value")))
        }
    }
    return out
}
