import LLRCore

/// The report a partner reads in a terminal: the verdict, a summary by
/// code, then every kept finding with its row, line, column and value.
public enum TextReport {
    public static func render(_ reports: [ValidationReport], catalog: FindingCatalog) -> String {
        var out = ""
        for (i, r) in reports.enumerated() {
            if i > 0 { out += "\n" }
            out += render(r, catalog: catalog)
        }
        if reports.count > 1 {
            let bad = reports.filter { !$0.valid }.count
            out += "\n\(reports.count) files: \(reports.count - bad) valid, \(bad) not valid\n"
        }
        return out
    }

    static func render(_ r: ValidationReport, catalog: FindingCatalog) -> String {
        var out = "\(r.file): \(r.valid ? "VALID" : "NOT VALID")"
        var about: [String] = []
        if let f = r.family { about.append("\(f) return") }
        if let p = r.partner { about.append("from \(p)") }
        if let q = r.period { about.append("for \(q)") }
        if r.version > 1 { about.append("version \(r.version)") }
        if !about.isEmpty { out += " (\(about.joined(separator: " ")))" }
        out += "\n"
        let s = r.stats
        out += "  \(s.rows) rows read, \(s.rowsRejected) rejected; \(s.errors) errors, \(s.warnings) warnings; \(formatBytes(s.bytes)) in \(JSONReport.formatSeconds(s.seconds)) s\n"
        if let rejects = r.rejectsPath, s.rowsRejected > 0 { out += "  rejected rows written to \(rejects)\n" }
        if !r.summary.isEmpty {
            out += "\n  Summary by code\n"
            let width = r.summary.map(\.code.rawValue.count).max() ?? 0
            for e in r.summary {
                out += "    \(pad(e.severity.rawValue, 8)) \(pad(e.code.rawValue, width))  \(pad(String(e.count), 7, right: true))  \(catalog.title(e.code))\n"
            }
        }
        if !r.findings.isEmpty {
            out += "\n  Findings\(r.truncated ? " (the first \(r.findings.count); the summary counts all)" : "")\n"
            for f in r.findings { out += "    " + line(f) + "\n" }
        }
        return out
    }

    /// `row 14 (line 14) column 6 dob "31/02/2019": error type-error: …  [event_id=E-1182]`
    public static func line(_ f: Finding) -> String {
        var where_: [String] = []
        if let row = f.rowNumber {
            where_.append(f.line != nil && f.line != row ? "row \(row) (line \(f.line!))" : "row \(row)")
        } else if let line = f.line {
            where_.append("line \(line)")
        }
        if let n = f.fieldNumber { where_.append("column \(n)") }
        if let name = f.fieldName { where_.append(name) }
        if let cell = f.cell { where_.append("\"\(cell)\"") }
        var s = where_.isEmpty ? "file" : where_.joined(separator: " ")
        s += ": \(f.severity.rawValue) \(f.code): \(f.message)"
        if !f.keys.isEmpty { s += "  [" + f.keys.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + "]" }
        return s
    }

    static func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return right ? fill + s : s + fill
    }
}
