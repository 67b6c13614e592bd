import LLRCore

/// What the partners said about the figures, for the pack: their commentary
/// rows, where their own figures and their records disagree, and the
/// measures only they report.
public struct PackCommentary: Sendable {
    public var rows: [CommentaryRow] = []
    public var discrepancies: [Discrepancy] = []
    public var partnerMeasures: [PartnerMeasure] = []
    public init(rows: [CommentaryRow] = [], discrepancies: [Discrepancy] = [], partnerMeasures: [PartnerMeasure] = []) {
        self.rows = rows; self.discrepancies = discrepancies; self.partnerMeasures = partnerMeasures
    }
}

extension BoardPack {
    /// A small count a partner gave is withheld in the published pack like the board's own.
    func reportedText(_ v: Double, _ unit: MeasureUnit) -> String {
        if let s = suppression, unit == .count, s.isSmall(Int(v.rounded())) { return marker }
        return esc(figureText(v, unit))
    }

    /// The partners' words under a measure's row, for the latest quarter.
    func commentaryRow(_ code: String, unit: MeasureUnit, latest: FinancialQuarter, columns: Int) -> String {
        let said = partnerSaid.rows.filter { $0.measure == code && $0.quarter == latest }.sorted { $0.partner < $1.partner }
        let gaps = partnerSaid.discrepancies.filter { $0.measure == code && $0.quarter == latest && shows($0) }
        guard !said.isEmpty || !gaps.isEmpty else { return "" }
        var h = "<tr class=\"said\"><td colspan=\"\(columns)\">"
        for g in gaps { h += "<p class=\"gap\"><b>Figures differ:</b> \(esc(g.text)).</p>" }
        for c in said {
            h += "<p><b>\(esc(c.partner))</b>" + (c.value.map { " (its figure: \(reportedText($0, unit)))" } ?? "") + ": "
            h += esc(c.commentary.isEmpty ? "no commentary" : c.commentary)
            if !c.action.isEmpty { h += " <span class=\"action\"><b>Action:</b> \(esc(c.action))</span>" }
            h += "</p>"
        }
        return h + "</td></tr>\n"
    }

    /// The published pack names a gap only when neither figure is withheld there.
    func shows(_ g: Discrepancy) -> Bool {
        guard let s = suppression else { return true }
        guard let (_, hidden) = figure(g.measure, g.quarter, g.area), !hidden else { return false }
        guard let m = catalogue.measure(g.measure), m.unit == .count else { return true }
        return !s.isSmall(Int(g.reported.rounded()))
    }

    /// The summary's list of partners' figures that disagree with their records.
    func discrepancySummary(_ latest: FinancialQuarter) -> String {
        let gaps = partnerSaid.discrepancies.filter { $0.quarter == latest && shows($0) }
        guard !gaps.isEmpty else { return "" }
        return "<h3>Partners' figures that differ from their records</h3>\n<ul>"
            + gaps.map { "<li>\(esc($0.text)).</li>" }.joined(separator: "\n") + "</ul>\n"
    }

    /// Measures only a partner reports: its figure and its words, as sent.
    func partnerMeasuresSection(_ latest: FinancialQuarter) -> String {
        let rows = partnerSaid.partnerMeasures.compactMap { p -> String? in
            guard let c = partnerSaid.rows.first(where: { $0.partner == p.partner && $0.measure == p.code && $0.quarter == latest }) else { return nil }
            let unit = MeasureUnit(rawValue: p.unit) ?? .count
            var h = "<tr><th scope=\"row\"><span class=\"code\">\(esc(p.code))</span><br>\(esc(p.title))<br><span class=\"parts\">\(esc(p.source))</span></th>"
            h += "<td>\(esc(p.partner))</td><td class=\"num\"><b>\(c.value.map { reportedText($0, unit) } ?? "–")</b></td>"
            h += "<td>\(esc(c.commentary))\(c.action.isEmpty ? "" : " <span class=\"action\"><b>Action:</b> \(esc(c.action))</span>")</td></tr>\n"
            return h
        }
        guard !rows.isEmpty else { return "" }
        return "<section class=\"priority partners\"><h2>Partners' own measures</h2>\n<p class=\"meta\">Reported by the partner in its commentary return; the pipeline cannot compute them from the returns.</p>\n"
            + "<table>\n<thead><tr><th scope=\"col\">Measure</th><th scope=\"col\">Partner</th><th scope=\"col\">\(esc(latest.description))</th><th scope=\"col\">Commentary</th></tr></thead>\n<tbody>\n"
            + rows.joined() + "</tbody></table></section>\n"
    }
}
