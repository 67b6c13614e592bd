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

/// One compiled rule, pointing at its rule without owning it (`CompiledRules`
/// does), so checking a row neither copies nor counts: when the enum held
/// the rules themselves, binding a payload copied its code lists and
/// condition texts, a retain and a release per rule per row.
enum CompiledRule {
    case nhsNumber(Unmanaged<Held<NHSNumberRule>>)
    case upn(Unmanaged<Held<UPNRule>>)
    case dateOrder(Unmanaged<Held<DateOrderRule>>)
    case inPeriod(Unmanaged<Held<InPeriodRule>>)
    case notAfterAsOf(Unmanaged<Held<NotAfterAsOfRule>>)
    case age(Unmanaged<Held<AgeRule>>)
    case requiredWhen(Unmanaged<Held<RequiredWhenRule>>)
    case freeText(Unmanaged<Held<FreeTextRule>>)
    case partnerReference(Unmanaged<Held<PartnerReferenceRule>>)

    @inline(__always) func check<Row: RowContext>(_ row: Row) {
        switch self {
        case .nhsNumber(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .upn(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .dateOrder(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .inPeriod(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .notAfterAsOf(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .age(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .requiredWhen(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .freeText(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        case .partnerReference(let r): r._withUnsafeGuaranteedRef { $0.rule.check(row) }
        }
    }
}

/// A family's rules compiled for one return, in the schema's order, with
/// the objects the `CompiledRule`s point at kept alive beside them.
final class CompiledRules {
    let rules: [CompiledRule]
    private let objects: [AnyObject]

    init(_ schema: FamilySchema, pipelines: Pipelines, quarter: FinancialQuarter?) {
        var objects: [AnyObject] = []
        rules = compileRules(schema, pipelines: pipelines, quarter: quarter, keeping: &objects)
        self.objects = objects
    }

    @inline(__always) func check<Row: RowContext>(_ row: Row) {
        rules.withUnsafeBufferPointer { rs in
            for i in rs.indices { rs[i].check(row) }
        }
    }
}

/// A rule in a class of its own: a `let` property of an object the caller
/// keeps alive is read in place, where a struct in memory that could change
/// during the call is copied first.
final class Held<R: RowRule> {
    let rule: R
    init(_ rule: R) { self.rule = rule }
}

/// The rules in the schema's order; `objects` gets each rule's object, to
/// be kept for as long as the rules are used.
private func compileRules(_ schema: FamilySchema, pipelines: Pipelines, quarter: FinancialQuarter?,
                          keeping objects: inout [AnyObject]) -> [CompiledRule] {
    func held<R: RowRule>(_ rule: R) -> Unmanaged<Held<R>> {
        let object = Held(rule)
        objects.append(object)
        return Unmanaged.passUnretained(object)
    }
    let cat = pipelines.catalog
    func idx(_ name: String) -> Int { schema.index(of: name)! }
    var out: [CompiledRule] = []
    for spec in schema.rules where spec.applies(to: quarter) {
        func sev(_ code: String) -> Severity { spec.severity ?? cat.severity(code) }
        switch spec.kind {
        case .nhsNumber(let f): out.append(.nhsNumber(held(NHSNumberRule(field: idx(f), severity: sev("nhs-number-checksum")))))
        case .upn(let f): out.append(.upn(held(UPNRule(field: idx(f), severity: sev("upn-checksum")))))
        case .dateOrder(let s, let e): out.append(.dateOrder(held(DateOrderRule(start: idx(s), end: idx(e), severity: sev("date-order")))))
        case .inPeriod(let s, let e, let open):
            out.append(.inPeriod(held(InPeriodRule(
                start: idx(s), end: e.map(idx), openSpell: open.map { CompiledCondition($0, schema: schema) },
                severity: spec.severity))))
        case .notAfterAsOf(let fs):
            for f in fs { out.append(.notAfterAsOf(held(NotAfterAsOfRule(field: idx(f), severity: sev("future-date"))))) }
        case .age(let d, let a, let lo, let hi, let warn):
            out.append(.age(held(AgeRule(dob: idx(d), at: idx(a), childMin: lo, childMax: hi, warnMax: warn, severity: sev("age-out-of-range")))))
        case .requiredWhen(let f, let when, let otherwise):
            out.append(.requiredWhen(held(RequiredWhenRule(field: idx(f), when: CompiledCondition(when, schema: schema), otherwiseEmpty: otherwise, severity: sev("conditional-required")))))
        case .freeText(let f, let list):
            out.append(.freeText(held(FreeTextRule(field: idx(f), list: pipelines.codelists[list]!, severity: sev("unmapped-value")))))
        case .partnerReference(let f, let fam):
            out.append(.partnerReference(held(PartnerReferenceRule(field: idx(f), family: fam, severity: sev("unmapped-value")))))
        }
    }
    return out
}
