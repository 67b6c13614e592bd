/// Settings that name something of the contract (a column, a family, an
/// event type, a partner, a code list) are checked against it when
/// `Pipelines/` is loaded: a misspelt name must stop the run with the names
/// that would fit, never turn a feature off without a word.
public struct ContractNames {
    /// What the names are, for the message: "an identifier field", "a family".
    public let what: String
    public let known: [String]

    public init(_ what: String, _ known: some Sequence<String>) {
        self.what = what
        self.known = Array(known)
    }

    /// Throws, at `file:line`, when `name` is not one of the known names.
    public func check(_ name: String, file: String, line: Int, in context: String = "") throws(PipelineError) {
        guard !known.contains(name) else { return }
        throw PipelineError(file: file, line: line, message(for: name, in: context))
    }

    public func message(for name: String, in context: String = "") -> String {
        let prefix = context.isEmpty ? "" : context + ": "
        let near = nearest(to: name).map { " Did you mean '\($0)'?" } ?? ""
        return "\(prefix)'\(name)' is not \(what).\(near) Known: \(known.sorted().joined(separator: ", "))"
    }

    /// The known name closest in spelling, when it is close enough to be a slip.
    public func nearest(to name: String) -> String? {
        let scored = known.map { ($0, editDistance(Array(name.lowercased().utf8), Array($0.lowercased().utf8))) }
        guard let best = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) else { return nil }
        return best.1 <= max(2, name.count / 3) ? best.0 : nil
    }
}

/// Levenshtein distance over bytes (names here are short ASCII).
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where j <= b.count {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
