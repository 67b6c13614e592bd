import LLRCore

/// The machine-readable report of spec §6, keys in the spec's order.
public enum JSONReport {
    public static func render(_ reports: [ValidationReport], asArray: Bool) -> String {
        var w = JSONWriter()
        if asArray || reports.count != 1 {
            w.out += "[\n"
            for (i, r) in reports.enumerated() {
                write(r, &w, indent: "  ")
                w.out += i + 1 < reports.count ? ",\n" : "\n"
            }
            w.out += "]\n"
        } else {
            write(reports[0], &w, indent: "")
            w.out += "\n"
        }
        return w.out
    }

    static func write(_ r: ValidationReport, _ w: inout JSONWriter, indent: String) {
        let i1 = indent + "  ", i2 = indent + "    "
        w.out += "{\n"
        w.out += i1; w.key("file"); w.string(r.file); w.out += ",\n"
        w.out += i1; w.key("partner"); w.optional(r.partner); w.out += ",\n"
        w.out += i1; w.key("family"); w.optional(r.family); w.out += ",\n"
        w.out += i1; w.key("period"); w.optional(r.period?.description); w.out += ",\n"
        w.out += i1; w.key("version"); w.out += "\(r.version),\n"
        w.out += i1; w.key("valid"); w.out += "\(r.valid),\n"
        w.out += i1; w.key("truncated"); w.out += "\(r.truncated),\n"
        let s = r.stats
        w.out += i1; w.key("stats")
        w.out += "{\"rows\": \(s.rows), \"rowsRejected\": \(s.rowsRejected), \"errors\": \(s.errors), \"warnings\": \(s.warnings), \"bytes\": \(s.bytes), \"seconds\": \(formatSeconds(s.seconds))},\n"
        w.out += i1; w.key("summary"); w.out += "["
        for (k, e) in r.summary.enumerated() {
            w.out += k == 0 ? "\n" : ",\n"
            w.out += i2 + "{"; w.key("code"); w.string(e.code.rawValue); w.out += ", "; w.key("severity"); w.string(e.severity.rawValue)
            w.out += ", "; w.key("count"); w.out += "\(e.count)}"
        }
        w.out += r.summary.isEmpty ? "],\n" : "\n\(i1)],\n"
        w.out += i1; w.key("findings"); w.out += "["
        for (k, f) in r.findings.enumerated() {
            w.out += k == 0 ? "\n" : ",\n"
            w.out += i2
            writeFinding(f, &w)
        }
        w.out += r.findings.isEmpty ? "]\n" : "\n\(i1)]\n"
        w.out += indent + "}"
    }

    static func writeFinding(_ f: Finding, _ w: inout JSONWriter) {
        w.out += "{"
        w.key("code"); w.string(f.code.rawValue)
        w.out += ", "; w.key("severity"); w.string(f.severity.rawValue)
        if let v = f.rowNumber { w.out += ", "; w.key("rowNumber"); w.out += "\(v)" }
        if let v = f.line { w.out += ", "; w.key("line"); w.out += "\(v)" }
        if let v = f.fieldName { w.out += ", "; w.key("fieldName"); w.string(v) }
        if let v = f.fieldNumber { w.out += ", "; w.key("fieldNumber"); w.out += "\(v)" }
        if let v = f.cell { w.out += ", "; w.key("cell"); w.string(v) }
        w.out += ", "; w.key("message"); w.string(f.message)
        if !f.keys.isEmpty {
            w.out += ", "; w.key("keys"); w.out += "{"
            for (k, kv) in f.keys.enumerated() {
                if k > 0 { w.out += ", " }
                w.key(kv.0); w.string(kv.1)
            }
            w.out += "}"
        }
        w.out += "}"
    }

    static func formatSeconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let frac = ms % 1000
        return "\(ms / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }
}
