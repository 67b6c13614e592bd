import Yams

/// Column types, as in Frictionless Table Schema.
public enum FieldType: String, Sendable { case string, integer, number, date, datetime }

/// `constraints` of a Frictionless field descriptor.
public struct FieldConstraints: Sendable {
    public var required = false
    public var unique = false
    public var enumValues: [String]?
    public var pattern: BytePattern?
    public var minimum: Int64?
    public var maximum: Int64?
    /// The most characters (not bytes) a text cell may hold.
    public var maxLength: Int?
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
    /// Any partner may send this family beside its own (the commentary
    /// return, contract §8), named `{PARTNER}_{family}_…`.
    public var anyPartner = false
    /// The rows are not events: they are kept as they came (in the merge's
    /// cache as `<stem>.statements.csv.gz`) and never aligned or linked.
    public var producesEvents = true
    /// The line of each top-level key, and the file, for messages about them.
    public var lines: [String: Int] = [:]
    public var file = ""

    /// The roles of a family whose rows are not events (the commentary return).
    public static let statementRoleNames = ["measure", "value", "numerator", "denominator", "commentary", "action"]
    public static let roleNames = ["key", "personId", "eventType", "start", "end", "forename", "surname", "dob", "age", "sex", "ethnicity", "postcode", "la", "nhs", "upn"]

    public func field(_ name: String) -> FieldDescriptor? { fields.first { $0.name == name } }
    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    static let fieldKeys = ["name", "type", "format", "description", "constraints", "codelist"]
    static let constraintKeys = ["required", "unique", "enum", "pattern", "minimum", "maximum", "maxLength"]

    static func load(path: String, name: String, codelists: [String: CodeList], ruleKinds: [any DomainRuleKind.Type]) throws(PipelineError) -> FamilySchema {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "a family schema")
        let family = try root.requiredString("family")
        let title = try root.string("title") ?? family
        guard let fieldNodes = try root.list("fields") else { throw PipelineError(file: name, line: root.line, "'fields' is required") }
        let primaryKey = try root.strings("primaryKey") ?? []
        let keys = try root.strings("keys") ?? primaryKey
        let ruleNodes = try root.list("rules") ?? []
        let anyPartner = try root.bool("anyPartner") ?? false
        let producesEvents = try root.bool("events") ?? true
        let roleList = producesEvents ? roleNames : statementRoleNames
        var roles: [String: String] = [:]
        if var rm = try root.map("roles") {
            for k in rm.keys {
                guard roleList.contains(k) else { throw rm.error(k, "unknown role '\(k)' (known: \(roleList.joined(separator: ", ")))") }
                roles[k] = try rm.string(k)
            }
            try rm.finish()
        }
        let attributes = try root.strings("attributes") ?? []
        if let missing = roleList.first(where: { roles[$0] == nil }), !producesEvents || roles.isEmpty {
            throw PipelineError(file: name, line: root.lineOf("roles"), "'roles' needs \(missing): say which column holds it")
        }
        if !producesEvents && !attributes.isEmpty { throw root.error("attributes", "a family with 'events: false' has no event attributes") }
        try root.finish(allowed: ["family", "title", "fields", "primaryKey", "keys", "rules", "roles", "attributes", "anyPartner", "events"])

        var fields: [FieldDescriptor] = []
        for node in fieldNodes {
            var m = try StrictMap(node, file: name, what: "a field")
            let fname = try m.requiredString("name")
            let typeText = try m.string("type") ?? "string"
            guard let type = FieldType(rawValue: typeText) else {
                throw m.error("type", "field \(fname): type '\(typeText)' is not one of string, integer, number, date, datetime")
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
                c.maxLength = try cm.int("maxLength")
                if let n = c.maxLength, n < 1 { throw cm.error("maxLength", "field \(fname): maxLength must be 1 or more") }
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
            rules.append(try DomainRuleSpec.read(node, file: name, family: family, fields: fields.map(\.name), codelists: codelists, kinds: ruleKinds))
        }
        return FamilySchema(name: family, title: title, fields: fields, primaryKey: primaryKey, keys: keys, rules: rules, roles: roles,
                            attributes: attributes, anyPartner: anyPartner, producesEvents: producesEvents, lines: Dictionary(uniqueKeysWithValues: root.keys.map { ($0, root.lineOf($0)) }), file: name)
    }
}
