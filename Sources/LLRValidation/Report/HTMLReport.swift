import LLRCore

/// One self-contained page (no scripts, no external files) a partner opens in
/// a browser: the verdict, the summary by code, and the findings table.
public enum HTMLReport {
    public static func render(_ reports: [ValidationReport], catalog: FindingCatalog) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>LLR return validation: \(esc(reports.map(\.file).joined(separator: ", ")))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem;color:#1b1b1b;max-width:78rem}
        h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
        .verdict{display:inline-block;padding:.3rem .8rem;border-radius:.3rem;font-weight:700;color:#fff}
        .valid{background:#00703c}.invalid{background:#d4351c}
        table{border-collapse:collapse;margin:.8rem 0;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
        th{background:#f3f2f1}td.num{text-align:right}.error{color:#d4351c;font-weight:700}.warning{color:#8a5a00;font-weight:700}
        code{background:#f3f2f1;padding:0 .2rem;white-space:nowrap}.meta{color:#505a5f}
        </style></head><body>
        <h1>LLR multi-agency return: validation report</h1>

        """
        for r in reports { out += section(r, catalog: catalog) }
        out += "<p class=\"meta\">Made by llr-validate. Fix the rows in your own system, export again, and re-check before sending.</p>\n</body></html>\n"
        return out
    }

    static func section(_ r: ValidationReport, catalog: FindingCatalog) -> String {
        let s = r.stats
        var out = "<h2>\(esc(r.file))</h2>\n"
        out += "<p><span class=\"verdict \(r.valid ? "valid" : "invalid")\">\(r.valid ? "Valid" : "Not valid")</span> "
        var about: [String] = []
        if let f = r.family { about.append("\(f) return") }
        if let p = r.partner { about.append("from \(p)") }
        if let q = r.period { about.append("for \(q)") }
        about.append("version \(r.version)")
        out += esc(about.joined(separator: " ")) + "</p>\n"
        out += "<p>\(s.rows) rows read, \(s.rowsRejected) rejected; \(s.errors) errors, \(s.warnings) warnings.</p>\n"
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
            out += "<table><thead><tr><th>Row</th><th>Line</th><th>Column</th><th>Value</th><th>Severity</th><th>Code</th><th>Message</th><th>Record</th></tr></thead><tbody>\n"
            for f in r.findings {
                let column = [f.fieldNumber.map(String.init), f.fieldName].compactMap { $0 }.joined(separator: " ")
                let keys = f.keys.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
                out += "<tr><td class=\"num\">\(f.rowNumber.map(String.init) ?? "")</td><td class=\"num\">\(f.line.map(String.init) ?? "")</td>"
                out += "<td>\(esc(column))</td><td><code>\(esc(f.cell ?? ""))</code></td><td class=\"\(f.severity.rawValue)\">\(f.severity.rawValue)</td>"
                out += "<td><code>\(esc(f.code.rawValue))</code></td><td>\(esc(f.message))</td><td>\(esc(keys))</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        return out
    }

    static func esc(_ s: String) -> String { htmlEscaped(s) }
}
