import LLRCore

extension BoardPack {
    /// Reds first, then the measures that moved most since the quarter before.
    func summary(_ latest: FinancialQuarter) -> String {
        var reds: [String] = [], movers: [(Double, String)] = []
        for m in catalogue.measures {
            guard let (f, hidden) = figure(m.code, latest, total), !hidden else { continue }
            if f.rag == .red { reds.append("<li><b>\(esc(m.title))</b> (\(m.code)): \(valueText(f)) \(esc(targetText(m)))</li>") }
            if let v = f.value, let p = f.previousValue, p != 0, f.direction == "improving" || f.direction == "worsening" {
                movers.append((abs(v - p) / abs(p), "<li>\(esc(m.title)): \(valueText(f, of: p)) → \(valueText(f)), \(arrow(f))</li>"))
            }
        }
        var h = "<section class=\"summary\"><h2>Summary for \(esc(latest.description)), LLR</h2>\n"
        h += "<h3>Red</h3>\n" + (reds.isEmpty ? "<p>No measure is red.</p>\n" : "<ul>\(reds.joined(separator: "\n"))</ul>\n")
        let top = movers.sorted { $0.0 > $1.0 }.prefix(5)
        h += "<h3>Biggest movers</h3>\n" + (top.isEmpty ? "<p>No measure with a target moved.</p>\n" : "<ul>\(top.map(\.1).joined(separator: "\n"))</ul>\n")
        return h + discrepancySummary(latest) + "</section>\n"
    }

    /// One board priority: a table with a row per measure.
    func section(_ priority: String, latest: FinancialQuarter) -> String {
        var h = "<section class=\"priority\"><h2>\(esc(priority))</h2>\n<table>\n"
        h += "<thead><tr><th scope=\"col\">Measure</th><th scope=\"col\">\(esc(latest.description))</th><th scope=\"col\">Quarter before</th>"
        h += "<th scope=\"col\">Direction</th><th scope=\"col\">RAG</th><th scope=\"col\">England</th><th scope=\"col\">Every quarter</th></tr></thead>\n<tbody>\n"
        for m in catalogue.measures where m.priority == priority {
            guard let (f, hidden) = figure(m.code, latest, total) else { continue }
            h += "<tr><th scope=\"row\"><span class=\"code\">\(m.code)</span><br>\(esc(m.title))<br>\(areaLine(m, latest))</th>"
            h += "<td class=\"num\"><b>\(hidden ? marker : valueText(f))</b>\(hidden ? "" : partsText(f))\(revisedText(f, hidden))</td>"
            h += "<td class=\"num\">\(hidden || f.previousValue == nil ? "" : valueText(f, of: f.previousValue!))</td>"
            h += "<td>\(hidden ? "" : arrow(f))</td>"
            h += "<td class=\"rag rag-\(hidden ? "none" : f.rag?.rawValue ?? "none")\">\(hidden ? "" : f.rag?.rawValue.capitalized ?? "no target")</td>"
            h += "<td class=\"num\">\(benchmarkText(m, f, hidden: hidden))</td><td>\(sparkline(m))</td></tr>\n"
            h += commentaryRow(m.code, unit: m.unit, latest: latest, columns: 7)
        }
        return h + "</tbody></table></section>\n"
    }

    /// Each authority's latest value, in small type under the measure.
    func areaLine(_ m: MeasureDefinition, _ latest: FinancialQuarter) -> String {
        let parts = areas.dropFirst().compactMap { a -> String? in
            guard let (f, hidden) = figure(m.code, latest, a.code) else { return nil }
            return "\(esc(a.name)) \(hidden ? marker : f.value == nil ? "–" : valueText(f))"
        }
        return "<span class=\"areas\">\(parts.joined(separator: " · "))</span>"
    }

    var marker: String { esc(suppression?.marker ?? "[c]") }

    func partsText(_ f: MeasureFigure) -> String {
        guard let n = f.numerator, let d = f.denominator, f.unit != .count else { return f.note.isEmpty ? "" : "<br><span class=\"note\">\(esc(f.note))</span>" }
        return "<br><span class=\"parts\">\(n) of \(d)\(f.unit == .rate ? " children" : "")</span>"
    }

    func revisedText(_ f: MeasureFigure, _ hidden: Bool) -> String {
        guard f.revised, !hidden, let first = f.firstPublished else { return "" }
        return "<br><span class=\"revised\">revised from \(valueText(f, of: first))</span>"
    }

    func valueText(_ f: MeasureFigure, of v: Double? = nil) -> String {
        guard let v = v ?? f.value else { return "–" }
        switch f.unit {
        case .count: return String(Int(v.rounded()))
        case .percent: return decimalText(v, places: 1) + "%"
        case .rate: return decimalText(v, places: 1)
        }
    }

    /// An arrow for the change, coloured by whether it is better, with the words.
    func arrow(_ f: MeasureFigure) -> String {
        guard let v = f.value, let p = f.previousValue else { return "" }
        let symbol = v > p ? "▲" : v < p ? "▼" : "▶"
        let kind = f.direction == "improving" ? "better" : f.direction == "worsening" ? "worse" : "neutral"
        return "<span class=\"dir \(kind)\">\(symbol) \(esc(f.direction))</span>"
    }

    func targetText(_ m: MeasureDefinition) -> String {
        if let t = m.target { return "(target \(m.polarity == .high ? "at least" : "at most") \(decimalText(t, places: 1)))" }
        if let r = m.expectedRange { return "(expected \(decimalText(r.lowerBound, places: 1))–\(decimalText(r.upperBound, places: 1)))" }
        return ""
    }

    /// England's value, the statistical neighbours' average and the
    /// national quartile of LLR's latest value, where benchmarks.yaml holds them.
    func benchmarkText(_ m: MeasureDefinition, _ f: MeasureFigure, hidden: Bool) -> String {
        guard let b = catalogue.benchmarks.first(where: { $0.measure == m.code }) else { return "" }
        let unit = m.unit == .percent ? "%" : ""
        var parts: [String] = []
        if let v = b.national { parts.append("\(decimalText(v, places: 1))\(unit)") }
        if let v = b.statisticalNeighbours { parts.append("<span class=\"parts\">neighbours \(decimalText(v, places: 1))\(unit)</span>") }
        if !hidden, let v = f.value, let q = b.quartile(of: v, polarity: m.polarity) { parts.append("<span class=\"parts\">quartile \(q)</span>") }
        guard !parts.isEmpty else { return "" }
        return parts.joined(separator: "<br>") + "<br><span class=\"parts\">\(esc(b.year))</span>"
    }

    func esc(_ s: String) -> String { htmlEscaped(s) }
}
