import LLRCore

/// Generic mode: a comparison of any column of the input file, with levels
/// in the main linkage's vocabulary (`exact`, `jaro-winkler` with a
/// threshold, `one-digit`, `distance` within a number, `else`).
public struct ColumnComparison: Sendable {
    public var column: String
    public var levels: [ComparisonLevel]
    /// For a `distance` level on dates: how the column writes them (the
    /// distance is then in days); nil compares the cells as numbers.
    public var dateFormat: String?
    public var line = 0

    /// The kinds a column comparison may use.
    static let kinds: [ComparisonLevel.Kind] = [.exact, .jaroWinkler, .oneDigit, .distance, .other]

    /// Starting m and u for a level that gives none (EM or the data then
    /// estimate them): agreement is likely among matches, rare among others.
    static func startingValues(_ kind: ComparisonLevel.Kind) -> (m: Double, u: Double) {
        switch kind {
        case .exact: return (0.9, 0.01)
        case .jaroWinkler: return (0.05, 0.02)
        case .oneDigit: return (0.03, 0.003)
        case .distance: return (0.03, 0.05)
        default: return (0.02, 0.95)
        }
    }
}

extension LinkageSettings {
    /// `compare:`: a list of `{column, levels, dateFormat}`; the last level `else`.
    static func readCompare(_ root: inout StrictMap, file name: String) throws(PipelineError) -> [ColumnComparison] {
        var out: [ColumnComparison] = []
        for node in try root.list("compare") ?? [] {
            var c = try StrictMap(node, file: name, what: "a compare entry")
            let column = try c.requiredString("column")
            if out.contains(where: { $0.column == column }) { throw c.error("column", "column '\(column)' is compared twice; list it once") }
            let dateFormat = try c.string("dateFormat")
            if let dateFormat { do { _ = try DateFormat(dateFormat) } catch { throw c.error("dateFormat", "dateFormat '\(dateFormat)': \(error.description)") } }
            var levels: [ComparisonLevel] = []
            for levelNode in try c.list("levels") ?? [] {
                var l = try StrictMap(levelNode, file: name, what: "a comparison level")
                levels.append(try readLevel(&l, allowed: ColumnComparison.kinds, requireMU: false))
            }
            if levels.count > 15 { throw c.error("levels", "\(column): at most 15 levels") }
            guard levels.last?.kind == .other else { throw c.error("levels", "\(column): the last level must be 'else'") }
            out.append(ColumnComparison(column: column, levels: levels, dateFormat: dateFormat, line: c.line))
            try c.finish(allowed: ["column", "levels", "dateFormat"])
        }
        // Five roles and these share one vector of levels per pair.
        if out.count > 11 { throw root.error("compare", "at most 11 compare columns (there are \(out.count))") }
        return out
    }

    /// One level: its kind, threshold (`jaro-winkler`) or `within`
    /// (`distance`), term frequencies, and m and u (required for the
    /// nightly's roles; starting values otherwise).
    static func readLevel(_ l: inout StrictMap, allowed: [ComparisonLevel.Kind], requireMU: Bool) throws(PipelineError) -> ComparisonLevel {
        let kindName = try l.requiredString("level")
        guard let kind = ComparisonLevel.Kind(rawValue: kindName), allowed.contains(kind) else {
            throw l.error("level", "unknown level '\(kindName)' here (use \(allowed.map(\.rawValue).joined(separator: ", ")))")
        }
        var threshold = try l.double("threshold") ?? 0
        if kind == .jaroWinkler && !(threshold > 0 && threshold <= 1) { throw l.error("level", "a jaro-winkler level needs a threshold between 0 and 1") }
        if kind == .distance {
            guard let within = try l.double("within"), within.isFinite, within >= 0 else {
                throw l.error("level", "a distance level needs 'within': the largest difference that meets it (a number, or days for dates)")
            }
            threshold = within
        }
        let start = ColumnComparison.startingValues(kind)
        let mv = try l.double("m"), uv = try l.double("u")
        if requireMU && (mv == nil || uv == nil) { throw l.error("level", "each level needs m and u between 0 and 1 (exclusive of 0)") }
        let m = mv ?? start.m, u = uv ?? start.u
        guard m > 0, u > 0, m <= 1, u <= 1 else { throw l.error("level", "each level needs m and u between 0 and 1 (exclusive of 0)") }
        let level = ComparisonLevel(kind: kind, threshold: threshold, termFrequency: try l.bool("termFrequency") ?? false, m: m, u: u)
        try l.finish(allowed: ["level", "threshold", "within", "termFrequency", "m", "u"])
        return level
    }
}
