import Yams

/// Column types, as in Frictionless Table Schema.
public enum FieldType: String, Sendable { case string, integer, date, datetime }

/// `constraints` of a Frictionless field descriptor.
public struct FieldConstraints: Sendable {
    public var required = false
    public var unique = false
    public var enumValues: [String]?
    public var pattern: BytePattern?
    public var minimum: Int64?
    public var maximum: Int64?
}

/// One column of a return family.
public struct FieldDescriptor: Sendable {
    public var name: String
    public var type: FieldType
    public var format: DateFormat?
    public var description: String
    public var constraints: FieldConstraints
    /// The code list whose codes form `constraints.enum` (kept for messages and mapping).
    public var codelist: String?
}

/// A condition on another cell of the same row.
public struct RowCondition: Sendable {
    public var field: String
    /// The cell (trimmed) is one of these codes.
    public var isIn: [String]?
    /// The cell is empty (true) or not (false).
    public var isEmpty: Bool?
}

/// The domain rules of spec §3, as configured per family in `Pipelines/`.
public enum DomainRuleKind: Sendable {
    /// NHS number modulus 11 check; 999 test numbers rejected.
    case nhsNumber(field: String)
    /// DfE UPN check letter, or a UN1–UN5 reason code.
    case upn(field: String)
    /// `end` not before `start`.
    case dateOrder(start: String, end: String)
    /// Event start inside the return's quarter: after its end is an error,
    /// before its start a warning unless `openSpell` holds and the spell is open.
    case inPeriod(start: String, end: String?, openSpell: RowCondition?)
    /// Dates not after the day the return was made (`--as-of`).
    case notAfterAsOf(fields: [String])
    /// Age at the event from date of birth: `childMax` and below fine,
    /// up to `warnMax` a warning, otherwise an error.
    case age(dob: String, at: String, childMin: Int, childMax: Int, warnMax: Int)
    /// `field` required when `when` holds; when `otherwiseEmpty`, it must be empty otherwise.
    case requiredWhen(field: String, when: RowCondition, otherwiseEmpty: Bool)
    /// Free text that must map to a code through a code list's aliases.
    case freeText(field: String, codelist: String)
    /// A cell naming a partner of `family` by code or alias.
    case partnerReference(field: String, family: String)
}

public struct DomainRuleSpec: Sendable {
    public var kind: DomainRuleKind
    /// Overrides the code's severity from codes.yaml for this rule.
    public var severity: Severity?
    /// First and last quarter the rule applies to: rules for a new year are
    /// added beside the old ones, not edited into them.
    public var from: FinancialQuarter?
    public var until: FinancialQuarter?
    public var file: String
    public var line: Int

    public func applies(to q: FinancialQuarter?) -> Bool {
        guard let q else { return from == nil }
        if let from, q < from { return false }
        if let until, until < q { return false }
        return true
    }
}

/// A return family: its columns and rules (spec §3).
public struct FamilySchema: Sendable {
    public var name: String
    public var title: String
    public var fields: [FieldDescriptor]
    public var primaryKey: [String]
    /// Identifier columns shown with every finding.
    public var keys: [String]
    public var rules: [DomainRuleSpec]
    /// What each column means in the aligned schema (key, personId, eventType,
    /// start, end, forename, surname, dob, age, sex, ethnicity, postcode, la, nhs, upn).
    public var roles: [String: String]
    /// Event attributes carried through to the aligned events (cp_category…).
    public var attributes: [String]

    public static let roleNames = ["key", "personId", "eventType", "start", "end", "forename", "surname", "dob", "age", "sex", "ethnicity", "postcode", "la", "nhs", "upn"]

    public func field(_ name: String) -> FieldDescriptor? { fields.first { $0.name == name } }
    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    static let fieldKeys = ["name", "type", "format", "description", "constraints", "codelist"]
    static let constraintKeys = ["required", "unique", "enum", "pattern", "minimum", "maximum"]

    static func load(path: String, name: String, codelists: [String: CodeList]) throws(PipelineError) -> FamilySchema {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "a family schema")
        let family = try root.requiredString("family")
        let title = try root.string("title") ?? family
        guard let fieldNodes = try root.list("fields") else { throw PipelineError(file: name, line: root.line, "'fields' is required") }
        let primaryKey = try root.strings("primaryKey") ?? []
        let keys = try root.strings("keys") ?? primaryKey
        let ruleNodes = try root.list("rules") ?? []
        var roles: [String: String] = [:]
        if var rm = try root.map("roles") {
            for k in rm.keys {
                guard roleNames.contains(k) else { throw rm.error(k, "unknown role '\(k)' (known: \(roleNames.joined(separator: ", ")))") }
                roles[k] = try rm.string(k)
            }
            try rm.finish()
        }
        let attributes = try root.strings("attributes") ?? []
        try root.finish(allowed: ["family", "title", "fields", "primaryKey", "keys", "rules", "roles", "attributes"])

        var fields: [FieldDescriptor] = []
        for node in fieldNodes {
            var m = try StrictMap(node, file: name, what: "a field")
            let fname = try m.requiredString("name")
            let typeText = try m.string("type") ?? "string"
            guard let type = FieldType(rawValue: typeText) else {
                throw m.error("type", "field \(fname): type '\(typeText)' is not one of string, integer, date, datetime")
            }
            var format: DateFormat?
            if type == .date || type == .datetime {
                let f = try m.string("format") ?? "%Y-%m-%d"
                do { format = try DateFormat(f) } catch { throw m.error("format", "field \(fname): \(error)") }
            } else if try m.string("format") != nil {
                throw m.error("format", "field \(fname): only date and datetime fields take a format")
            }
            var c = FieldConstraints()
            let codelist = try m.string("codelist")
            if let codelist {
                guard let list = codelists[codelist] else { throw m.error("codelist", "field \(fname): no code list '\(codelist)' in codelists.yaml") }
                c.enumValues = list.codes
            }
            if var cm = try m.map("constraints") {
                c.required = try cm.bool("required") ?? false
                c.unique = try cm.bool("unique") ?? false
                if let e = try cm.strings("enum") {
                    if codelist != nil { throw cm.error("enum", "field \(fname): give either codelist or constraints.enum, not both") }
                    c.enumValues = e
                }
                if let p = try cm.string("pattern") {
                    do { c.pattern = try BytePattern(p) } catch { throw cm.error("pattern", "field \(fname): \(error)") }
                }
                c.minimum = try cm.int("minimum").map(Int64.init)
                c.maximum = try cm.int("maximum").map(Int64.init)
                try cm.finish(allowed: constraintKeys)
            }
            let description = try m.string("description") ?? ""
            try m.finish(allowed: fieldKeys)
            if fields.contains(where: { $0.name == fname }) { throw PipelineError(file: name, line: m.line, "field \(fname) is listed twice") }
            fields.append(FieldDescriptor(name: fname, type: type, format: format, description: description, constraints: c, codelist: codelist))
        }
        let known = Set(fields.map(\.name))
        for k in primaryKey + keys + Array(roles.values) + attributes where !known.contains(k) {
            throw PipelineError(file: name, line: root.line, "'\(k)' in primaryKey/keys/roles/attributes is not a field of \(family)")
        }
        var rules: [DomainRuleSpec] = []
        for node in ruleNodes {
            rules.append(try parseRule(node, file: name, fields: known, codelists: codelists))
        }
        return FamilySchema(name: family, title: title, fields: fields, primaryKey: primaryKey, keys: keys, rules: rules, roles: roles, attributes: attributes)
    }

    static let ruleKinds = ["nhs-number", "upn", "date-order", "in-period", "not-after-as-of", "age", "required-when", "free-text", "partner-reference"]

    static func parseRule(_ node: Node, file: String, fields: Set<String>, codelists: [String: CodeList]) throws(PipelineError) -> DomainRuleSpec {
        var m = try StrictMap(node, file: file, what: "a rule")
        let kindName = try m.requiredString("rule")
        func field(_ key: String, required: Bool = true) throws(PipelineError) -> String? {
            guard let f = try m.string(key) else {
                if required { throw PipelineError(file: file, line: m.line, "rule \(kindName) needs '\(key)'") }
                return nil
            }
            guard fields.contains(f) else { throw m.error(key, "rule \(kindName): '\(f)' is not a field of this family") }
            return f
        }
        func condition(_ key: String) throws(PipelineError) -> RowCondition? {
            guard var c = try m.map(key) else { return nil }
            let f = try c.requiredString("field")
            guard fields.contains(f) else { throw c.error("field", "rule \(kindName): '\(f)' is not a field of this family") }
            let cond = RowCondition(field: f, isIn: try c.strings("in"), isEmpty: try c.bool("empty"))
            try c.finish(allowed: ["field", "in", "empty"])
            if cond.isIn == nil && cond.isEmpty == nil { throw PipelineError(file: file, line: c.line, "a condition needs 'in' or 'empty'") }
            return cond
        }
        let kind: DomainRuleKind
        switch kindName {
        case "nhs-number": kind = .nhsNumber(field: try field("field")!)
        case "upn": kind = .upn(field: try field("field")!)
        case "date-order": kind = .dateOrder(start: try field("start")!, end: try field("end")!)
        case "in-period": kind = .inPeriod(start: try field("start")!, end: try field("end", required: false), openSpell: try condition("openSpell"))
        case "not-after-as-of":
            guard let fs = try m.strings("fields") else { throw PipelineError(file: file, line: m.line, "rule not-after-as-of needs 'fields'") }
            for f in fs where !fields.contains(f) { throw m.error("fields", "rule not-after-as-of: '\(f)' is not a field of this family") }
            kind = .notAfterAsOf(fields: fs)
        case "age":
            let childMin = try m.int("childMin") ?? 0, childMax = try m.int("childMax") ?? 17, warnMax = try m.int("warnMax") ?? 25
            // The line named is that of the first number out of order.
            let outOfOrder = childMin < 0 ? "childMin" : childMin > childMax ? "childMax" : childMax > warnMax ? "warnMax" : nil
            if let key = outOfOrder {
                throw m.error(key, "rule age needs 0 <= childMin <= childMax <= warnMax (here \(childMin), \(childMax), \(warnMax))")
            }
            kind = .age(dob: try field("dob")!, at: try field("at")!, childMin: childMin, childMax: childMax, warnMax: warnMax)
        case "required-when":
            guard let when = try condition("when") else { throw PipelineError(file: file, line: m.line, "rule required-when needs 'when'") }
            kind = .requiredWhen(field: try field("field")!, when: when, otherwiseEmpty: try m.bool("otherwiseEmpty") ?? false)
        case "free-text":
            let f = try field("field")!
            let list = try m.requiredString("codelist")
            guard codelists[list] != nil else { throw m.error("codelist", "rule free-text: no code list '\(list)'") }
            kind = .freeText(field: f, codelist: list)
        case "partner-reference":
            kind = .partnerReference(field: try field("field")!, family: try m.requiredString("family"))
        default:
            throw m.error("rule", "unknown rule '\(kindName)' (known: \(ruleKinds.joined(separator: ", ")))")
        }
        var severity: Severity?
        if let s = try m.string("severity") {
            guard let v = Severity(rawValue: s) else { throw m.error("severity", "severity must be error or warning") }
            severity = v
        }
        func quarter(_ key: String) throws(PipelineError) -> FinancialQuarter? {
            guard let s = try m.string(key) else { return nil }
            guard let q = FinancialQuarter(s) else { throw m.error(key, "'\(s)' is not a quarter like 2024-25_Q1") }
            return q
        }
        let from = try quarter("from")
        let until = try quarter("until")
        try m.finish(allowed: ["rule", "severity", "from", "until", "field", "fields", "start", "end", "openSpell", "dob", "at", "childMin", "childMax", "warnMax", "when", "otherwiseEmpty", "codelist", "family"])
        return DomainRuleSpec(kind: kind, severity: severity, from: from, until: until, file: file, line: m.line)
    }
}
