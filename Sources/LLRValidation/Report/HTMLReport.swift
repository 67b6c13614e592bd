import LLRCore

/// What a report page is about: llr-validate's verdict on a file, or
/// findings a later stage made on its rows (the merge's linkage).
public struct HTMLReportFrame: Sendable {
    public var heading: String
    public var footer: String
    /// Whether the page gives the file's verdict and its row counts.
    public var judgesTheFile: Bool

    public init(heading: String, footer: String, judgesTheFile: Bool) {
        self.heading = heading
        self.footer = footer
        self.judgesTheFile = judgesTheFile
    }

    public static let validation = HTMLReportFrame(
        heading: "LLR multi-agency return: validation report",
        footer: "Made by llr-validate. Fix the rows in your own system, export again, and re-check before sending.", judgesTheFile: true)
}

/// One self-contained page (no scripts, no external files) a partner opens in
/// a browser: the verdict, the summary by code, and the findings table.
public enum HTMLReport {
    public static func render(_ reports: [ValidationReport], catalog: FindingCatalog, frame: HTMLReportFrame = .validation) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(frame.heading)): \(esc(reports.map(\.file).joined(separator: ", ")))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem;color:#1b1b1b;max-width:78rem}
        h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
        .verdict{display:inline-block;padding:.3rem .8rem;border-radius:.3rem;font-weight:700;color:#fff}
        .valid{background:#00703c}.invalid{background:#d4351c}
        table{border-collapse:collapse;margin:.8rem 0;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
        th{background:#f3f2f1}td.num{text-align:right}.error{color:#d4351c;font-weight:700}.warning{color:#8a5a00;font-weight:700}
        code{background:#f3f2f1;padding:0 .2rem;white-space:nowrap}.meta{color:#505a5f}
        </style></head><body>
        <h1>\(esc(frame.heading))</h1>

        """
        for r in reports { out += section(r, catalog: catalog, judged: frame.judgesTheFile) }
        out += "<p class=\"meta\">\(esc(frame.footer))</p>\n</body></html>\n"
        return out
    }

    static func section(_ r: ValidationReport, catalog: FindingCatalog, judged: Bool) -> String {
        let s = r.stats
        var out = "<h2>\(esc(r.file))</h2>\n<p>"
        if judged { out += "<span class=\"verdict \(r.valid ? "valid" : "invalid")\">\(r.valid ? "Valid" : "Not valid")</span> " }
        var about: [String] = []
        if let f = r.family { about.append("\(f) return") }
        if let p = r.partner { about.append("from \(p)") }
        if let q = r.period { about.append("for \(q)") }
        about.append("version \(r.version)")
        let line = about.joined(separator: " ")
        out += esc(judged ? line : line.prefix(1).uppercased() + line.dropFirst()) + "</p>\n"
        out += judged ? "<p>\(s.rows) rows read, \(s.rowsRejected) rejected; \(s.errors) errors, \(s.warnings) warnings.</p>\n"
            : "<p>\(s.errors) errors, \(s.warnings) warnings.</p>\n"
        if !r.summary.isEmpty {
            out += "<table><thead><tr><th>Severity</th><th>Code</th><th>What it means</th><th>Count</th></tr></thead><tbody>\n"
            for e in r.summary {
                let info = catalog.entries[e.code.rawValue]
                out += "<tr><td class=\"\(e.severity.rawValue)\">\(e.severity.rawValue)</td><td><code>\(esc(e.code.rawValue))</code></td><td>\(esc(info?.title ?? e.code.rawValue)): \(esc(info?.description ?? ""))</td><td class=\"num\">\(e.count)</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        if !r.findings.isEmpty {
            if r.truncated { out += "<p>The first \(r.findings.count) findings are listed; the summary counts all of them.</p>\n" }
            out += findingsTable(r.findings)
        }
        return out
    }

    /// One row per finding; a column no finding fills (a later stage's
    /// findings have no line, cell or record keys) is left out.
    static func findingsTable(_ findings: [Finding]) -> String {
        let columns: [(title: String, used: Bool, cell: (Finding) -> String)] = [
            ("Row", true, { "<td class=\"num\">\($0.rowNumber.map(String.init) ?? "")</td>" }),
            ("Line", findings.contains { $0.line != nil }, { "<td class=\"num\">\($0.line.map(String.init) ?? "")</td>" }),
            ("Column", true, { f in "<td>\(esc([f.fieldNumber.map(String.init), f.fieldName].compactMap { $0 }.joined(separator: " ")))</td>" }),
            ("Value", findings.contains { $0.cell != nil }, { "<td><code>\(esc($0.cell ?? ""))</code></td>" }),
            ("Severity", true, { "<td class=\"\($0.severity.rawValue)\">\($0.severity.rawValue)</td>" }),
            ("Code", true, { "<td><code>\(esc($0.code.rawValue))</code></td>" }),
            ("Message", true, { "<td>\(esc($0.message))</td>" }),
            ("Record", findings.contains { !$0.keys.isEmpty }, { f in "<td>\(esc(f.keys.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")))</td>" }),
        ].filter(\.used)
        var out = "<table><thead><tr>" + columns.map { "<th>\($0.title)</th>" }.joined() + "</tr></thead><tbody>\n"
        for f in findings { out += "<tr>" + columns.map { $0.cell(f) }.joined() + "</tr>\n" }
        return out + "</tbody></table>\n"
    }

    static func esc(_ s: String) -> String { htmlEscaped(s) }
}
