#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data contract as data: everything under `Pipelines/`.
public struct Pipelines: Sendable {
    public var directory: String
    public var registry: PartnerRegistry
    public var families: [String: FamilySchema]
    public var codelists: [String: CodeList]
    public var catalog: FindingCatalog
    public var mappings: Mappings
    /// The measure codes a commentary return may name (measures.yaml).
    public var measureCodes = MeasureCodeBook()

    /// Loads and cross-checks every file; the first problem is thrown with
    /// its file and line. `ruleKinds` are the domain rules a family may
    /// name (LLRValidation's `Pipelines.load(from:)` passes its registry).
    public static func load(from directory: String, ruleKinds: [any DomainRuleKind.Type]) throws(PipelineError) -> Pipelines {
        func path(_ rel: String) -> String { directory + "/" + rel }
        guard isDirectory(directory) else {
            throw PipelineError(file: directory, line: 0, "the Pipelines folder does not exist; pass --pipelines DIR")
        }
        let catalog = try FindingCatalog.load(path: path("codes.yaml"), name: "codes.yaml")
        let codelists = try CodeList.loadAll(path: path("codelists.yaml"), name: "codelists.yaml")
        var families: [String: FamilySchema] = [:]
        for file in listYAML(path("families")) {
            let schema = try FamilySchema.load(path: path("families/" + file), name: "families/" + file, codelists: codelists, ruleKinds: ruleKinds)
            if families[schema.name] != nil { throw PipelineError(file: "families/" + file, line: 1, "family \(schema.name) is defined twice") }
            families[schema.name] = schema
        }
        if families.isEmpty { throw PipelineError(file: "families/", line: 0, "no family schemas found") }
        var registry = try PartnerRegistry.load(path: path("partners.yaml"), name: "partners.yaml", families: Set(families.filter { !$0.value.anyPartner }.keys))
        registry.sharedFamilies = Set(families.filter(\.value.anyPartner).keys)
        let mappings = try Mappings.load(path: path("mappings.yaml"), name: "mappings.yaml")
        var contract = Pipelines(directory: directory, registry: registry, families: families, codelists: codelists, catalog: catalog, mappings: mappings)
        contract.measureCodes = try MeasureCodeBook.load(directory: directory, registry: registry)
        try contract.checkMappings()
        for (_, f) in families.sorted(by: { $0.key < $1.key }) {
            for r in f.rules { try r.rule.check(against: contract, file: r.file, line: r.line) }
        }
        return contract
    }

    /// mappings.yaml against the rest of the contract: every family and code
    /// it maps exists, and every event type code of a family has a canonical type.
    func checkMappings() throws(PipelineError) {
        let file = "mappings.yaml"
        let familyNames = ContractNames("a family", families.keys)
        for (family, table) in mappings.eventTypes.sorted(by: { $0.key < $1.key }) {
            try familyNames.check(family, file: file, line: mappings.lines["eventTypes." + family] ?? 1, in: "eventTypes")
            let schema = families[family]!
            guard let typeField = schema.roles["eventType"], let list = schema.field(typeField)?.constraints.enumValues else { continue }
            let codes = ContractNames("a code of \(family)'s \(typeField)", list)
            for code in table.keys.sorted() {
                try codes.check(code, file: file, line: mappings.lines["eventTypes.\(family).\(code)"] ?? 1, in: "eventTypes.\(family)")
            }
            for code in list where table[code] == nil {
                throw PipelineError(file: file, line: mappings.lines["eventTypes." + family] ?? 1, "eventTypes.\(family) has no canonical type for \(code)")
            }
        }
        let attributes = ContractNames("an event attribute of mappings.yaml", mappings.eventAttributes)
        for (_, schema) in families.sorted(by: { $0.key < $1.key }) {
            for a in schema.attributes { try attributes.check(a, file: schema.file, line: schema.lines["attributes"] ?? 1, in: "attributes") }
        }
        let areas = ContractNames("a local authority of mappings.yaml", mappings.laNames.keys)
        for p in registry.partners { if let a = p.area { try areas.check(a, file: "partners.yaml", line: p.line, in: "partner \(p.code) area") } }
        let lists = ContractNames("a code list of codelists.yaml", codelists.keys)
        for (section, names) in [("ethnicity", mappings.ethnicity.keys), ("sex", mappings.sex.keys)] {
            for list in names.sorted() { try lists.check(list, file: file, line: mappings.lines["\(section).\(list)"] ?? 1, in: section) }
        }
    }

    /// `Pipelines/` beside the running executable's package: walks up from the
    /// executable (…/.build/release/llr-validate) and from the working folder.
    public static func defaultDirectory(executable: String) -> String {
        var candidates: [String] = []
        var dir = realPath(executable)
        for _ in 0..<6 {
            dir = parentDirectory(dir)
            candidates.append(dir + "/Pipelines")
        }
        var cwd = currentDirectory()
        for _ in 0..<4 {
            candidates.append(cwd + "/Pipelines")
            cwd = parentDirectory(cwd)
        }
        return candidates.first(where: isDirectory) ?? "Pipelines"
    }
}

public func isDirectory(_ p: String) -> Bool {
    var st = stat()
    return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

func listYAML(_ dir: String) -> [String] {
    (directoryEntries(dir) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
}

/// The folder a path is in ("." for a bare name).
public func parentDirectory(_ p: String) -> String {
    guard let i = p.lastIndex(of: "/") else { return "." }
    return i == p.startIndex ? "/" : String(p[..<i])
}

func realPath(_ p: String) -> String {
    guard let r = realpath(p, nil) else { return p }
    defer { free(r) }
    return String(cString: r)
}

/// `p` as an absolute path with its links resolved, for comparing folders
/// that may not exist yet: the longest part that exists is resolved and the
/// rest appended ("." and ".." in that rest are taken as written).
public func resolvedPath(_ p: String) -> String {
    var rest: [Substring] = []
    var head = p.hasPrefix("/") ? p : currentDirectory() + "/" + p
    while head.count > 1, access(head, F_OK) != 0 {
        guard let i = head.lastIndex(of: "/") else { break }
        rest.insert(head[head.index(after: i)...], at: 0)
        head = i == head.startIndex ? "/" : String(head[..<i])
    }
    var parts = realPath(head).split(separator: "/")
    for r in rest where !r.isEmpty && r != "." {
        if r == ".." { _ = parts.popLast() } else { parts.append(r) }
    }
    return "/" + parts.joined(separator: "/")
}

public func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return "." }
    return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
