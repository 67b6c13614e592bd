import LLRCore

/// Every kind of domain rule a family in `Pipelines/families/` may name.
/// A new kind is a file of its own in `Rules/Kinds/` and one line here.
let domainRuleKinds: [any ValidationRule.Type] = [
    NHSNumberRule.self,
    UPNRule.self,
    DateOrderRule.self,
    InPeriodRule.self,
    NotAfterAsOfRule.self,
    AgeRule.self,
    RequiredWhenRule.self,
    FreeTextRule.self,
    PartnerReferenceRule.self,
    ODSPracticeRule.self,
    MeasureCodeRule.self,
    NotAboveRule.self,
    ConsistentValueRule.self,
    FormulaLikeRule.self,
]

/// The registered kinds, for the contract's documentation.
public enum ValidationRules {
    public static var kinds: [any DomainRuleKind.Type] { domainRuleKinds.map { $0 as any DomainRuleKind.Type } }
}

extension Pipelines {
    /// The contract in `directory`, with the domain rules the validator
    /// knows: the one way every command reads `Pipelines/`.
    public static func load(from directory: String) throws(PipelineError) -> Pipelines {
        try load(from: directory, ruleKinds: ValidationRules.kinds)
    }
}

/// A rule kind the validator can run: it compiles its settings, for one
/// return's family and quarter, into checks run on every row.
protocol ValidationRule: DomainRuleKind {
    func compile(_ c: RuleCompiler) -> [RowCheck]
}

/// What a rule needs to compile: field positions, severities, conditions.
struct RuleCompiler {
    let schema: FamilySchema
    let pipelines: Pipelines
    /// The rule's own `severity:`, which overrides the catalogue's.
    let override: Severity?

    func index(_ field: String) -> Int { schema.index(of: field)! }
    func severity(_ code: FindingCode) -> Severity { override ?? pipelines.catalog.severity(code) }
    func condition(_ c: RowCondition) -> CompiledCondition { CompiledCondition(c, schema: schema) }
}

/// One compiled check, run once per data row that passed the row-shape
/// checks. Each kind's check is a final subclass, so the row loop calls it
/// through one table lookup, without copying or counting the rule.
class RowCheck {
    func check(_ row: ReturnValidator) {}
}

/// A family's rules compiled for one return, in the schema's order.
final class CompiledRules {
    private let checks: [RowCheck]
    /// The same checks, read in place by the row loop (`checks` owns them).
    private let refs: [Unmanaged<RowCheck>]

    init(_ schema: FamilySchema, pipelines: Pipelines, quarter: FinancialQuarter?) {
        checks = schema.rules.filter { $0.applies(to: quarter) }.flatMap { spec in
            // Pipelines.load(from:) made every rule from domainRuleKinds.
            (spec.rule as! any ValidationRule).compile(RuleCompiler(schema: schema, pipelines: pipelines, override: spec.severity))
        }
        refs = checks.map { Unmanaged.passUnretained($0) }
    }

    @inline(__always) func check(_ row: ReturnValidator) {
        refs.withUnsafeBufferPointer { rs in
            for i in rs.indices { rs[i]._withUnsafeGuaranteedRef { $0.check(row) } }
        }
    }
}
