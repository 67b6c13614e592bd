import Yams

/// A condition on another cell of the same row.
public struct RowCondition: Sendable {
    public var field: String
    /// The cell (trimmed) is one of these codes.
    public var isIn: [String]?
    /// The cell is empty (true) or not (false).
    public var isEmpty: Bool?
}

/// One kind of domain rule of contract §3, as a family's `rules:` in
/// `Pipelines/families/*.yaml` configures it (`rule: nhs-number`). A kind
/// reads its own settings, naming fields and code lists the loader checks;
/// the validator compiles and runs it (LLRValidation registers the kinds).
public protocol DomainRuleKind: Sendable {
    /// The rule's name in `Pipelines/`.
    static var name: String { get }
    /// The finding codes it reports.
    static var codes: [FindingCode] { get }
    /// What it checks, in a sentence for the contract's documentation.
    static var summary: String { get }
    /// Reads the rule's own keys from its entry in a family's `rules:`.
    init(reading settings: inout RuleSettings) throws(PipelineError)
    /// Checks names that only the whole contract can settle (another
    /// family, the registry). Most kinds have none.
    func check(against contract: Pipelines, file: String, line: Int) throws(PipelineError)
    /// The configured rule in words, for the documentation ("nhs_number").
    var describe: String { get }
}

extension DomainRuleKind {
    public func check(against contract: Pipelines, file: String, line: Int) throws(PipelineError) {}

    /// Reads a rule of this kind, as an existential (called on a kind taken from a list).
    static func read(_ settings: inout RuleSettings) throws(PipelineError) -> any DomainRuleKind {
        try Self(reading: &settings)
    }
}

/// The settings of one rule entry, read strictly: every field, condition and
/// code list it names is checked against the family as it is read.
public struct RuleSettings {
    public let rule: String
    public let family: String
    var map: StrictMap
    let fields: [String]
    let codelists: [String: CodeList]
    /// Keys the kind read, for the message about a key it does not take.
    private(set) var keysRead: [String] = []

    init(rule: String, family: String, map: StrictMap, fields: [String], codelists: [String: CodeList]) {
        self.rule = rule; self.family = family; self.map = map; self.fields = fields; self.codelists = codelists
    }

    public var line: Int { map.line }
    public func lineOf(_ key: String) -> Int { map.lineOf(key) }
    public func error(_ key: String, _ message: String) -> PipelineError { map.error(key, "rule \(rule): " + message) }

    private mutating func note(_ key: String) { if !keysRead.contains(key) { keysRead.append(key) } }

    /// A field of the family, required.
    public mutating func field(_ key: String) throws(PipelineError) -> String {
        guard let f = try optionalField(key) else { throw PipelineError(file: map.file, line: map.line, "rule \(rule) needs '\(key)'") }
        return f
    }

    /// A field of the family, or nil when the key is not given.
    public mutating func optionalField(_ key: String) throws(PipelineError) -> String? {
        note(key)
        guard let f = try map.string(key) else { return nil }
        try checkField(f, key: key)
        return f
    }

    /// A list of fields of the family, required.
    public mutating func fieldList(_ key: String) throws(PipelineError) -> [String] {
        note(key)
        guard let fs = try map.strings(key) else { throw PipelineError(file: map.file, line: map.line, "rule \(rule) needs '\(key)'") }
        for f in fs { try checkField(f, key: key) }
        return fs
    }

    private func checkField(_ f: String, key: String) throws(PipelineError) {
        try ContractNames("a field of \(family)", fields).check(f, file: map.file, line: map.lineOf(key), in: "rule \(rule)")
    }

    /// A condition on another cell: `{field: F, in: [CODES]}` or `{field: F, empty: true}`.
    public mutating func condition(_ key: String) throws(PipelineError) -> RowCondition? {
        note(key)
        guard var c = try map.map(key) else { return nil }
        let f = try c.requiredString("field")
        try ContractNames("a field of \(family)", fields).check(f, file: map.file, line: c.lineOf("field"), in: "rule \(rule)")
        let cond = RowCondition(field: f, isIn: try c.strings("in"), isEmpty: try c.bool("empty"))
        try c.finish(allowed: ["field", "in", "empty"])
        if cond.isIn == nil && cond.isEmpty == nil { throw PipelineError(file: map.file, line: c.line, "a condition needs 'in' or 'empty'") }
        return cond
    }

    /// The name of a code list of codelists.yaml, required.
    public mutating func codelist(_ key: String) throws(PipelineError) -> String {
        let list = try requiredString(key)
        try ContractNames("a code list of codelists.yaml", codelists.keys).check(list, file: map.file, line: map.lineOf(key), in: "rule \(rule)")
        return list
    }

    public mutating func requiredString(_ key: String) throws(PipelineError) -> String {
        note(key)
        return try map.requiredString(key)
    }

    public mutating func int(_ key: String) throws(PipelineError) -> Int? { note(key); return try map.int(key) }
    public mutating func bool(_ key: String) throws(PipelineError) -> Bool? { note(key); return try map.bool(key) }
    public mutating func double(_ key: String) throws(PipelineError) -> Double? { note(key); return try map.double(key) }
}

/// One configured rule of a family: its kind's settings, and when and how
/// severely it applies.
public struct DomainRuleSpec: Sendable {
    public var rule: any DomainRuleKind
    /// Overrides the code's severity from codes.yaml for this rule.
    public var severity: Severity?
    /// First and last quarter the rule applies to: rules for a new year are
    /// added beside the old ones, not edited into them.
    public var from: FinancialQuarter?
    public var until: FinancialQuarter?
    public var file: String
    public var line: Int

    public init(rule: any DomainRuleKind, severity: Severity?, from: FinancialQuarter?, until: FinancialQuarter?, file: String, line: Int) {
        self.rule = rule; self.severity = severity; self.from = from; self.until = until; self.file = file; self.line = line
    }

    public var name: String { type(of: rule).name }

    public func applies(to q: FinancialQuarter?) -> Bool {
        guard let q else { return from == nil }
        if let from, q < from { return false }
        if let until, until < q { return false }
        return true
    }

    static let commonKeys = ["rule", "severity", "from", "until"]

    /// Reads one entry of a family's `rules:` with the kind it names.
    static func read(_ node: Node, file: String, family: String, fields: [String], codelists: [String: CodeList],
                     kinds: [any DomainRuleKind.Type]) throws(PipelineError) -> DomainRuleSpec {
        var m = try StrictMap(node, file: file, what: "a rule")
        let kindName = try m.requiredString("rule")
        guard let kind = kinds.first(where: { $0.name == kindName }) else {
            throw m.error("rule", "unknown rule '\(kindName)' (known: \(kinds.map { $0.name }.joined(separator: ", ")))")
        }
        func quarter(_ key: String) throws(PipelineError) -> FinancialQuarter? {
            guard let s = try m.string(key) else { return nil }
            guard let q = FinancialQuarter(s) else { throw m.error(key, "'\(s)' is not a quarter like 2024-25_Q1") }
            return q
        }
        var severity: Severity?
        if let s = try m.string("severity") {
            guard let v = Severity(rawValue: s) else { throw m.error("severity", "severity must be error or warning") }
            severity = v
        }
        let from = try quarter("from"), until = try quarter("until")
        var settings = RuleSettings(rule: kindName, family: family, map: m, fields: fields, codelists: codelists)
        let rule = try kind.read(&settings)
        try settings.map.finish(allowed: commonKeys + settings.keysRead)
        return DomainRuleSpec(rule: rule, severity: severity, from: from, until: until, file: file, line: m.line)
    }
}
