import LLRCore

/// A cell required, or forbidden, because of another cell in the row
/// (cp_category exactly for CP_PLAN; a VCS age when there is no dob).
struct RequiredWhenRule: RowRule {
    let field: Int
    let when: CompiledCondition
    let otherwiseEmpty: Bool
    let severity: Severity

    func check<Row: RowContext>(_ row: Row) {
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

    func check<Row: RowContext>(_ row: Row) {
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

    func check<Row: RowContext>(_ row: Row) {
        guard let cell = row.cell(field), cell.count > 0 else { return }
        if let p = row.registry.resolve(cell), p.family == family { return }
        let codes = row.registry.partners.filter { $0.family == family }.map(\.code).joined(separator: ", ")
        row.report("unmapped-value", severity: severity, field: field,
                   "\(row.fieldName(field)) '\(displayString(cell))' is not a \(family) partner in the registry (codes: \(codes), or their names)")
    }
}

/// The configured rules of a family, dispatched by a switch rather than
/// through existentials, so each rule's check is specialised for the validator.
enum CompiledRule {
    case nhsNumber(NHSNumberRule)
    case upn(UPNRule)
    case dateOrder(DateOrderRule)
    case inPeriod(InPeriodRule)
    case notAfterAsOf(NotAfterAsOfRule)
    case age(AgeRule)
    case requiredWhen(RequiredWhenRule)
    case freeText(FreeTextRule)
    case partnerReference(PartnerReferenceRule)

    @inline(__always) func check<Row: RowContext>(_ row: Row) {
        switch self {
        case .nhsNumber(let r): r.check(row)
        case .upn(let r): r.check(row)
        case .dateOrder(let r): r.check(row)
        case .inPeriod(let r): r.check(row)
        case .notAfterAsOf(let r): r.check(row)
        case .age(let r): r.check(row)
        case .requiredWhen(let r): r.check(row)
        case .freeText(let r): r.check(row)
        case .partnerReference(let r): r.check(row)
        }
    }
}

func compileRules(_ schema: FamilySchema, pipelines: Pipelines, quarter: FinancialQuarter?) -> [CompiledRule] {
    let cat = pipelines.catalog
    func idx(_ name: String) -> Int { schema.index(of: name)! }
    var out: [CompiledRule] = []
    for spec in schema.rules where spec.applies(to: quarter) {
        func sev(_ code: String) -> Severity { spec.severity ?? cat.severity(code) }
        switch spec.kind {
        case .nhsNumber(let f): out.append(.nhsNumber(NHSNumberRule(field: idx(f), severity: sev("nhs-number-checksum"))))
        case .upn(let f): out.append(.upn(UPNRule(field: idx(f), severity: sev("upn-checksum"))))
        case .dateOrder(let s, let e): out.append(.dateOrder(DateOrderRule(start: idx(s), end: idx(e), severity: sev("date-order"))))
        case .inPeriod(let s, let e, let open):
            out.append(.inPeriod(InPeriodRule(
                start: idx(s), end: e.map(idx), openSpell: open.map { CompiledCondition($0, schema: schema) },
                severity: spec.severity)))
        case .notAfterAsOf(let fs):
            for f in fs { out.append(.notAfterAsOf(NotAfterAsOfRule(field: idx(f), severity: sev("future-date")))) }
        case .age(let d, let a, let lo, let hi, let warn):
            out.append(.age(AgeRule(dob: idx(d), at: idx(a), childMin: lo, childMax: hi, warnMax: warn, severity: sev("age-out-of-range"))))
        case .requiredWhen(let f, let when, let otherwise):
            out.append(.requiredWhen(RequiredWhenRule(field: idx(f), when: CompiledCondition(when, schema: schema), otherwiseEmpty: otherwise, severity: sev("conditional-required"))))
        case .freeText(let f, let list):
            out.append(.freeText(FreeTextRule(field: idx(f), list: pipelines.codelists[list]!, severity: sev("unmapped-value"))))
        case .partnerReference(let f, let fam):
            out.append(.partnerReference(PartnerReferenceRule(field: idx(f), family: fam, severity: sev("unmapped-value"))))
        }
    }
    return out
}
