/// A partner organisation (spec §1).
public struct Partner: Sendable, Equatable {
    public var code: String
    public var family: String
    public var name: String
    public var aliases: [String]
    /// The local authority whose work the partner's events are (a council's
    /// own area, contract §7); nil for partners that serve many.
    public var area: String? = nil
    public var line = 0
}

/// The organisation registry. Names are matched case- and
/// punctuation-insensitively against code, canonical name and aliases.
public struct PartnerRegistry: Sendable {
    public let partners: [Partner]
    /// Families any partner may send beside its own (`anyPartner: true`).
    public var sharedFamilies: Set<String> = []
    private let byFolded: [[UInt8]: Int]

    public init(partners: [Partner]) {
        self.partners = partners
        var m: [[UInt8]: Int] = [:]
        for (i, p) in partners.enumerated() {
            for name in [p.code, p.name] + p.aliases { m[foldForMatching(name)] = m[foldForMatching(name)] ?? i }
        }
        byFolded = m
    }

    public func partner(code: String) -> Partner? { partners.first { $0.code == code } }

    /// The families a partner may name in its file names: its own and the shared ones.
    public func families(of partner: Partner) -> [String] { [partner.family] + sharedFamilies.sorted() }

    /// The partner a code, name or alias refers to, if any.
    public func resolve(_ name: String) -> Partner? {
        let f = foldForMatching(name)
        guard !f.isEmpty, let i = byFolded[f] else { return nil }
        return partners[i]
    }

    public func resolve(_ bytes: UnsafeBufferPointer<UInt8>) -> Partner? {
        let f = foldForMatching(bytes)
        guard !f.isEmpty, let i = byFolded[f] else { return nil }
        return partners[i]
    }

    static func load(path: String, name: String, families: Set<String>) throws(PipelineError) -> PartnerRegistry {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the partner registry")
        guard let list = try root.list("partners") else { throw PipelineError(file: name, line: root.line, "'partners' is required") }
        try root.finish(allowed: ["partners"])
        var out: [Partner] = []
        for node in list {
            var m = try StrictMap(node, file: name, what: "a partner")
            let p = Partner(
                code: try m.requiredString("code"), family: try m.requiredString("family"),
                name: try m.requiredString("name"), aliases: try m.strings("aliases") ?? [], area: try m.string("area"), line: m.line)
            try m.finish(allowed: ["code", "family", "name", "aliases", "area"])
            // The code starts every return's file name (up to the first `_`)
            // and names the partner's folder in outbox/ and rejects/.
            guard !p.code.isEmpty, p.code.utf8.allSatisfy({ isDigit($0) || isASCIILetter($0) }) else {
                throw m.error("code", "partner code '\(p.code)' must be letters and digits only (it begins the partner's file names)")
            }
            guard families.contains(p.family) else {
                throw PipelineError(file: name, line: m.line, "partner \(p.code) has family '\(p.family)', which has no schema in families/ (known: \(families.sorted().joined(separator: ", ")))")
            }
            if out.contains(where: { $0.code == p.code }) { throw PipelineError(file: name, line: m.line, "partner code \(p.code) is listed twice") }
            out.append(p)
        }
        let registry = PartnerRegistry(partners: out)
        // An alias that names two partners would make matching depend on order.
        var owner: [[UInt8]: String] = [:]
        for p in out {
            for a in [p.code, p.name] + p.aliases {
                let f = foldForMatching(a)
                if let other = owner[f], other != p.code {
                    throw PipelineError(file: name, line: root.line, "the name '\(a)' is given for both \(other) and \(p.code)")
                }
                owner[f] = p.code
            }
        }
        return registry
    }
}
