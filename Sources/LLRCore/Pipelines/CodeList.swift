/// A list of allowed codes (spec §3), each optionally with the free-text
/// forms that mean it. Every list names its source.
public struct CodeList: Sendable {
    public var name: String
    public var source: String
    public var codes: [String]
    /// Free-text forms per code, for hand-typed fields (VCS sex, ethnicity).
    public var aliases: [String: [String]]
    private var folded: [[UInt8]: String] = [:]

    public init(name: String, source: String, codes: [String], aliases: [String: [String]]) {
        self.name = name
        self.source = source
        self.codes = codes
        self.aliases = aliases
        for c in codes { folded[foldForMatching(c)] = c }
        for (c, list) in aliases { for a in list { folded[foldForMatching(a)] = c } }
    }

    /// The code a free-text value maps to, matched case- and punctuation-insensitively.
    public func code(forText b: UnsafeBufferPointer<UInt8>) -> String? { folded[foldForMatching(b)] }
    public func code(forText s: String) -> String? { folded[foldForMatching(s)] }

    static func loadAll(path: String, name: String) throws(PipelineError) -> [String: CodeList] {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the code lists file")
        guard var lists = try root.map("codelists") else { throw PipelineError(file: name, line: root.line, "'codelists' is required") }
        try root.finish(allowed: ["codelists"])
        var out: [String: CodeList] = [:]
        for listName in lists.keys {
            var m = try StrictMap(lists.node(listName)!, file: name, what: "code list '\(listName)'")
            let source = try m.requiredString("source")
            var codes: [String] = []
            var aliases: [String: [String]] = [:]
            guard let codesNode = m.node("codes") else { throw PipelineError(file: name, line: m.line, "code list '\(listName)' needs 'codes'") }
            switch codesNode {
            case .sequence(let seq):
                for item in seq {
                    guard let s = item.string else { throw PipelineError(file: name, line: item.mark?.line ?? m.line, "codes must be single values") }
                    codes.append(s)
                }
            case .mapping:
                // code: [free-text forms…]
                var cm = try StrictMap(codesNode, file: name, what: "codes of '\(listName)'")
                for code in cm.keys {
                    codes.append(code)
                    aliases[code] = try cm.strings(code) ?? []
                }
                try cm.finish()
            default:
                throw PipelineError(file: name, line: m.line, "'codes' of '\(listName)' must be a list or a mapping of code to free-text forms")
            }
            try m.finish(allowed: ["source", "codes"])
            out[listName] = CodeList(name: listName, source: source, codes: codes, aliases: aliases)
        }
        try lists.finish()
        return out
    }
}
