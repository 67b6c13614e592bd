import LLRCore
import LLRDedupe
import LLRMeasures

/// `run-report.json` and `run-report.html`: what came in, what was wrong,
/// what is late or missing, and how the indicators move, for the business
/// unit at 8 am.
func writeRunReport(_ r: MergeResult, to staging: Staging, settings: MergeSettings, timings: Bool) throws(MergeFailure) {
    do {
        let json = try AtomicOutputFile(path: staging.path("run-report.json"))
        try json.write(runReportJSON(r))
        try json.commit()
        let html = try AtomicOutputFile(path: staging.path("run-report.html"))
        try html.write(runReportHTML(r, settings: settings))
        try html.commit()
    } catch { throw MergeFailure("cannot write the run report: \(error.description)") }
}

/// Rows received and rejected per partner, over the returns that count.
func partnerTotals(_ r: MergeResult) -> [(partner: String, rows: Int, rejected: Int)] {
    var rows: [String: (Int, Int)] = [:]
    for q in r.quality where q.hasCounts {
        let t = rows[q.partner] ?? (0, 0)
        rows[q.partner] = (t.0 + q.rows, t.1 + q.rowsRejected)
    }
    return rows.sorted { $0.key < $1.key }.map { (partner: $0.key, rows: $0.value.0, rejected: $0.value.1) }
}

func runReportJSON(_ r: MergeResult) -> String {
    var w = JSONWriter()
    w.out += "{\n  "; w.key("run"); w.out += "\(r.run),\n  "
    w.key("asOf"); w.string(r.asOf.description); w.out += ",\n  "
    w.key("startedAt"); w.string(r.startedAt); w.out += ",\n  "
    w.key("files"); w.out += "["
    for (i, f) in r.files.enumerated() {
        let e = f.entry
        w.out += i == 0 ? "\n    {" : ",\n    {"
        w.key("file"); w.string(f.file.name); w.out += ", "
        w.key("action"); w.string(f.action.rawValue); w.out += ", "
        w.key("status"); w.string(e.status.rawValue); w.out += ", "
        w.key("partner"); w.string(e.partner); w.out += ", "
        w.key("period"); w.string(e.period); w.out += ", "
        w.key("version"); w.out += "\(e.version), "
        w.key("sha256"); w.string(e.sha256); w.out += ", "
        w.key("received"); w.string(e.received); w.out += ", "
        w.key("rows"); w.out += "\(e.rows), "
        w.key("rowsRejected"); w.out += "\(e.rowsRejected), "
        w.key("errors"); w.out += "\(e.errors), "
        w.key("warnings"); w.out += "\(e.warnings), "
        w.key("problem"); w.string(e.problem); w.out += "}"
    }
    w.out += "\n  ],\n  "
    if let d = r.dedupe {
        w.key("dataset"); w.out += "{"
        w.key("rowsReceived"); w.out += "\(d.rowsReceived), "
        for s in RowStatus.allCases.map(\.rawValue) { w.key(s); w.out += "\(d.status[s] ?? 0), " }
        w.key("events"); w.out += "\(d.events), "
        w.key("crossAgencyEvents"); w.out += "\(d.crossAgencyMatches), "
        w.key("children"); w.out += "\(d.persons), "
        w.key("newPersonIds"); w.out += "\(d.newPersons), "
        w.key("personIdsMerged"); w.out += "\(d.aliases), "
        w.key("pairsForReview"); w.out += "\(d.review), "
        linkageJSON(d, into: &w)
        w.out += "},\n  "
    }
    w.key("returns"); w.out += "["
    for (i, q) in r.quality.enumerated() {
        w.out += i == 0 ? "\n    {" : ",\n    {"
        w.key("partner"); w.string(q.partner); w.out += ", "
        w.key("period"); w.string(q.quarter.fileToken); w.out += ", "
        w.key("due"); w.string(q.due.description); w.out += ", "
        w.key("status"); w.string(q.status); w.out += ", "
        w.key("file"); w.string(q.file); w.out += ", "
        w.key("rows"); w.out += "\(q.rows), "
        w.key("rowsRejected"); w.out += "\(q.rowsRejected)}"
    }
    w.out += "\n  ],\n  "
    w.key("topFindings"); w.out += "["
    for (i, f) in r.topFindings.prefix(15).enumerated() {
        w.out += i == 0 ? "" : ", "
        w.out += "{"; w.key("code"); w.string(f.code); w.out += ", "; w.key("count"); w.out += "\(f.count)}"
    }
    w.out += "],\n  "
    w.key("notices"); w.out += "["
    for (i, n) in r.notices.enumerated() { if i > 0 { w.out += ", " }; w.string(n) }
    w.out += "],\n  "
    w.key("discrepancies"); w.out += "["
    for (i, d) in r.discrepancies.enumerated() { if i > 0 { w.out += ", " }; w.string(d.text) }
    w.out += "],\n  "
    w.key("outputs"); w.out += "["
    for (i, o) in r.outputs.enumerated() { if i > 0 { w.out += ", " }; w.string(o) }
    w.out += "],\n  "
    w.key("seconds"); w.out += "{"
    for (i, s) in r.seconds.enumerated() { if i > 0 { w.out += ", " }; w.key(s.0); w.out += decimalText(s.1, places: 3) }
    w.out += "}\n}\n"
    return w.out
}

/// The morning report for the business unit: one self-contained page.
func runReportHTML(_ r: MergeResult, settings: MergeSettings) -> String {
    let late = r.quality.filter { $0.status == "late" }, missing = r.quality.filter { $0.status == "missing" }
    var h = reportHead(r) + reportTiles(r, late: late, missing: missing) + needsAttention(r, late: late, missing: missing)
    let quarters = Array(Set(r.quality.map(\.quarter))).sorted()
    let partners = Array(Set(r.quality.map(\.partner))).sorted()
    h += reportCharts(r, quarters: quarters, partners: partners)
    h += returnsTable(r, quarters: quarters, partners: partners, settings: settings)
    h += trendCharts(r, quarters: quarters, settings: settings)
    h += boardMeasures(r) + filesTonight(r)
    if let d = r.dedupe { h += linkageSectionHTML(d) }
    h += reportFooter(r, settings: settings)
    return h
}

private func reportHead(_ r: MergeResult) -> String {
    let esc = htmlEscaped
    let h = """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>LLR nightly merge: run \(r.run), \(r.asOf)</title>
    <style>
    body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;color:#0b0c0c;max-width:70rem;padding:0 1rem;line-height:1.4}
    h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:2px solid #1d70b8;padding-bottom:.2rem}
    .meta{color:#505a5f}.tiles{display:flex;flex-wrap:wrap;gap:.8rem;margin:1.2rem 0}
    .tile{border-left:5px solid #1d70b8;background:#f3f2f1;padding:.6rem 1rem;min-width:9rem}
    .tile b{display:block;font-size:1.5rem}.tile.bad{border-color:#d4351c}.tile.ok{border-color:#00703c}
    table{border-collapse:collapse;margin:.6rem 0;width:100%}th,td{border:1px solid #b1b4b6;padding:.25rem .5rem;text-align:left;font-size:.88rem}
    th{background:#f3f2f1}td.num{text-align:right;font-variant-numeric:tabular-nums}
    .s-late{color:#8a5a00;font-weight:700}.s-missing,.s-unreadable,.s-failed,.s-unrecognised{color:#d4351c;font-weight:700}.s-ontime,.s-processed{color:#00703c}
    svg.chart{max-width:100%;height:auto;font-size:12px;fill:#0b0c0c}svg.chart text{fill:#0b0c0c}
    .attention{background:#fff7e6;border-left:5px solid #f47738;padding:.5rem 1rem}
    .rag-red{background:#f6d7d2;font-weight:700}.rag-amber{background:#fff2d3;font-weight:700}.rag-green{background:#cce2d8;font-weight:700}
    </style></head><body>
    <h1>LLR multi-agency dataset: nightly merge</h1>
    <p class="meta">Run \(r.run), as of \(r.asOf), started \(esc(r.startedAt)).</p>
    <div class="tiles">
    <div class="tile"><b>\(r.files.count)</b>files in the inbox</div>
    <div class="tile"><b>\(r.processedTonight.count)</b>new or changed tonight</div>

    """
    return h
}

private func reportTiles(_ r: MergeResult, late: [QualityRow], missing: [QualityRow]) -> String {
    var h = ""
    let d = r.dedupe
    if let d {
        h += "<div class=\"tile\"><b>\(d.rowsReceived)</b>rows received</div>\n"
        h += "<div class=\"tile \((d.status[RowStatus.rejected.rawValue] ?? 0) > 0 ? "bad" : "ok")\"><b>\(d.status[RowStatus.rejected.rawValue] ?? 0)</b>rows rejected</div>\n"
        h += "<div class=\"tile\"><b>\(d.events)</b>events</div>\n<div class=\"tile\"><b>\(d.persons)</b>children</div>\n"
    }
    h += "<div class=\"tile \(late.isEmpty ? "ok" : "bad")\"><b>\(late.count)</b>returns late</div>\n"
    h += "<div class=\"tile \(missing.isEmpty ? "ok" : "bad")\"><b>\(missing.count)</b>returns missing</div>\n</div>\n"

    return h
}

private func needsAttention(_ r: MergeResult, late: [QualityRow], missing: [QualityRow]) -> String {
    let esc = htmlEscaped
    let problems = r.files.filter { [LedgerStatus.failed, .unrecognised].contains($0.entry.status) && $0.action != .unchanged }
    var h = ""
    h += "<h2>Needs attention</h2>\n"
    if problems.isEmpty && late.isEmpty && missing.isEmpty && r.notices.isEmpty && r.discrepancies.isEmpty {
        h += "<p>Nothing: every expected return arrived on time and could be read.</p>\n"
    } else {
        h += "<div class=\"attention\"><ul>\n"
        for p in problems { h += "<li><b>\(esc(p.file.name))</b>: \(esc(p.entry.status.rawValue)) — \(esc(p.entry.problem))</li>\n" }
        for q in missing { h += "<li>\(esc(q.partner)) \(esc(q.quarter.description)): no return (due \(q.due))</li>\n" }
        for q in late { h += "<li>\(esc(q.partner)) \(esc(q.quarter.description)): first received \(esc(q.firstReceived)), due \(q.due)</li>\n" }
        for n in r.notices { h += "<li>\(esc(n))</li>\n" }
        for d in r.discrepancies { h += "<li>Figures differ: \(esc(d.text)).</li>\n" }
        h += "</ul></div>\n"
    }

    return h
}

/// Rows received per partner and quarter, reject rates, frequent findings.
private func reportCharts(_ r: MergeResult, quarters: [FinancialQuarter], partners: [String]) -> String {
    var h = ""
    var rowsBy: [String: Int] = [:]
    for q in r.quality { rowsBy[q.partner + "|" + q.quarter.fileToken] = q.rows }
    h += "<h2>Rows received per partner and quarter</h2>\n"
    h += SVGChart.groupedBars(categories: partners, series: quarters.map { q in
        (name: q.description, values: partners.map { Double(rowsBy[$0 + "|" + q.fileToken] ?? 0) })
    })

    h += "<h2>Reject rate per partner</h2>\n<p class=\"meta\">Rows rejected as a share of rows read, over the returns in the dataset.</p>\n"
    let totals = partnerTotals(r).filter { $0.rows > 0 }
    h += SVGChart.horizontalBars(totals.map { t in
        let pct = Double(t.rejected) * 100 / Double(t.rows)
        return (label: t.partner, value: pct, text: "\(decimalText(pct, places: 2))% (\(t.rejected) of \(t.rows))")
    }, color: "#d4351c")

    h += "<h2>Most frequent findings</h2>\n"
    h += SVGChart.horizontalBars(r.topFindings.prefix(12).map { (label: $0.code, value: Double($0.count), text: "\($0.count)") }, color: "#f47738")

    return h
}

private func returnsTable(_ r: MergeResult, quarters: [FinancialQuarter], partners: [String], settings: MergeSettings) -> String {
    let esc = htmlEscaped
    var h = ""
    h += "<h2>Returns by partner and quarter</h2>\n<table><tr><th>Partner</th>"
    for q in quarters { h += "<th>\(esc(q.description)) <span class=\"meta\">due \(settings.dueDate(q))</span></th>" }
    h += "<th>Completeness, latest return</th></tr>\n"
    for p in partners {
        h += "<tr><td><b>\(esc(p))</b></td>"
        for q in quarters {
            guard let row = r.quality.first(where: { $0.partner == p && $0.quarter == q }) else { h += "<td></td>"; continue }
            h += "<td><span class=\"s-\(row.status.replacingOccurrences(of: " ", with: ""))\">\(esc(row.status))</span>"
            if row.hasCounts {
                h += "<br><span class=\"meta\">\(row.rows) rows, \(row.rowsRejected) rejected\(row.version > 1 ? ", v\(row.version)" : "")</span>"
            }
            h += "</td>"
        }
        let latest = r.quality.filter { $0.partner == p && $0.completeness != nil }.max { $0.quarter < $1.quarter }
        h += "<td>\(latest.flatMap { $0.completeness }.map { decimalText($0, places: 1) + "%" } ?? "")"
        if let l = latest, !l.leastComplete.isEmpty { h += "<br><span class=\"meta\">lowest: \(esc(l.leastComplete))</span>" }
        h += "</td></tr>\n"
    }
    h += "</table>\n"

    return h
}

private func trendCharts(_ r: MergeResult, quarters: [FinancialQuarter], settings: MergeSettings) -> String {
    var h = ""
    // Indicator trends per LA.
    // Over the quarters partners report on (events dated earlier are open spells).
    let reported = Set(quarters.map { $0.financialYear + " Q\($0.quarter)" })
    let areas = r.indicators.filter { $0.eventType == "ALL" && $0.population != nil && reported.contains($0.financialYear + " " + $0.quarter) }
    let periods = Array(Set(areas.map { $0.financialYear + " " + $0.quarter })).sorted()
    // The LLR total first, then the areas by name.
    let areaNames = Array(Set(areas.map(\.laName))).sorted { ($0 == settings.totalName ? 0 : 1, $0) < ($1 == settings.totalName ? 0 : 1, $1) }
    if !periods.isEmpty {
        h += "<h2>Children with any recorded event, per 10,000 children</h2>\n"
        h += "<p class=\"meta\">By the quarter each event started; a child with events in two areas counts in both. Population: under-18s, as named in indicators.csv.gz.</p>\n"
        h += SVGChart.lines(xLabels: periods, series: areaNames.map { name in
            (name: name, values: periods.map { p in areas.first { $0.laName == name && $0.financialYear + " " + $0.quarter == p }?.rate })
        })
        for trend in settings.reportTrends {
            let rows = r.indicators.filter { $0.eventType == trend.eventType && $0.population != nil && reported.contains($0.financialYear + " " + $0.quarter) }
            if rows.isEmpty { continue }
            h += "<h2>\(htmlEscaped(trend.title))</h2>\n"
            h += SVGChart.lines(xLabels: periods, series: areaNames.map { name in
                (name: name, values: periods.map { p in rows.first { $0.laName == name && $0.financialYear + " " + $0.quarter == p }?.rate })
            })
        }
    }

    return h
}

/// The board's measures for LLR in the latest quarter, beside the one before.
private func boardMeasures(_ r: MergeResult) -> String {
    guard let latest = r.measures.map(\.quarter).max() else { return "" }
    let esc = htmlEscaped
    var h = "<h2>The board's measures, \(esc(latest.description)), LLR</h2>\n"
    h += "<p class=\"meta\">Every quarter and area: <a href=\"measures.csv.gz\">measures.csv.gz</a> in full, and for analysts, with small counts withheld, "
    h += "<a href=\"published/measures.csv\">published/measures.csv</a>; the events behind each figure: restricted/measure_members.csv.gz. "
    h += "<code>llr-measures explain CODE</code> gives each definition. The board's pack: <a href=\"board-pack.html\">board-pack.html</a> "
    h += "(for analysts, small counts withheld: <a href=\"published/board-pack.html\">published/board-pack.html</a>).</p>\n"
    h += "<table><tr><th>Measure</th><th></th><th>Value</th><th>Numerator</th><th>Denominator</th><th>Quarter before</th><th>Direction</th><th>RAG</th></tr>\n"
    for (code, title) in r.measureTitles {
        guard let f = r.measures.first(where: { $0.measure == code && $0.isTotal && $0.quarter == latest }) else { continue }
        func text(_ v: Double?) -> String { v.map { f.unit == .count ? String(Int($0.rounded())) : decimalText($0, places: 1) } ?? "" }
        h += "<tr><td><code>\(esc(code))</code></td><td>\(esc(title))</td><td class=\"num\">\(text(f.value))\(f.unit == .percent && f.value != nil ? "%" : "")</td>"
        h += "<td class=\"num\">\(f.numerator.map(String.init) ?? "")</td><td class=\"num\">\(f.denominator.map(String.init) ?? "")</td>"
        let revised = f.revised ? " <span class=\"meta\">(revised from \(text(f.firstPublished)))</span>" : ""
        h += "<td class=\"num\">\(text(f.previousValue))</td><td>\(esc(f.direction.isEmpty ? f.note : f.direction))\(revised)</td>"
        h += "<td class=\"rag-\(f.rag?.rawValue ?? "none")\">\(f.rag?.rawValue ?? "")</td></tr>\n"
    }
    return h + "</table>\n"
}

private func filesTonight(_ r: MergeResult) -> String {
    let esc = htmlEscaped
    var h = ""
    h += "<h2>Files received tonight</h2>\n"
    let tonight = r.processedTonight
    if tonight.isEmpty {
        h += "<p>None.</p>\n"
    } else {
        h += "<table><tr><th>File</th><th></th><th>Status</th><th>Rows</th><th>Rejected</th><th>Errors</th><th>Warnings</th><th>Feedback for the partner</th></tr>\n"
        for f in tonight {
            let e = f.entry
            let folder = e.partner.isEmpty ? "_unrecognised" : e.partner
            let base = feedbackName(f.file.name)
            h += "<tr><td>\(esc(f.file.name))</td><td>\(f.action.rawValue)</td><td class=\"s-\(e.status)\">\(esc(e.status.rawValue))</td>"
            h += "<td class=\"num\">\(e.rows)</td><td class=\"num\">\(e.rowsRejected)</td><td class=\"num\">\(e.errors)</td><td class=\"num\">\(e.warnings)</td>"
            h += "<td><a href=\"outbox/\(esc(folder))/\(esc(base)).report.html\">report</a></td></tr>\n"
        }
        h += "</table>\n"
    }
    return h
}

private func reportFooter(_ r: MergeResult, settings: MergeSettings) -> String {
    let esc = htmlEscaped
    var h = ""
    let d = r.dedupe
    if let d {
        h += "<h2>Deduplication</h2>\n<p>\(d.rowsReceived) rows received: " + RowStatus.allCases.map { "\(d.status[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        h += ". \(d.events) events, \(d.crossAgencyMatches) of them reported by two agencies; \(d.persons) children "
        h += "(\(d.newPersons) new ids tonight, \(d.aliases) ids merged into older ones); \(d.review) pairs wait for review in restricted/review.csv.</p>\n"
    }
    h += "<p class=\"meta\">Stage times: " + r.seconds.map { "\(esc($0.0)) \(decimalText($0.1, places: 2)) s" }.joined(separator: ", ") + ".</p>\n"
    h += "<p class=\"meta\">Small counts (\(settings.suppressMinimum)–\(settings.suppressMaximum)) are shown as \(esc(settings.suppressionMarker)) in published/; this report is for the business unit.</p>\n"
    h += "</body></html>\n"
    return h
}

/// The published extract's own documentation, beside the files.
func writePublishedReadme(_ path: String, settings: MergeSettings, mappings: Mappings) throws(OutputError) {
    let text = """
    # LLR multi-agency safeguarding dataset: published extract

    Pseudonymised and ready for dashboards. No names, dates of birth, postcodes
    (only the district), NHS numbers, UPNs or partners' own ids are here; the
    restricted tables stay with the business unit.

    | file | one row per |
    |---|---|
    | `events.csv` | real-world event after deduplication (`llr_event_id`, `llr_person_id`, type, dates, quarter, LA, age band, sex, ethnicity, the partners that reported it); each child's events together, oldest first |
    | `persons.csv` | child (`llr_person_id`, first and last seen, partners, how the records were linked) |
    | `indicators.csv` | financial quarter × area × event type: events, children, children with 2+ episodes, children per 10,000 |
    | `quality.csv` | partner × quarter: whether the return came, on time or late, rows read and rejected, completeness |

    - `llr_person_id` and `llr_event_id` are keyed pseudonyms (HMAC-SHA256); they stay
      the same from one night to the next, so a dashboard can follow a child over time.
    - Suppression: counts from \(settings.suppressMinimum) to \(settings.suppressMaximum) in `indicators.csv` are shown as
      `\(settings.suppressionMarker)`, with the rate made from them; when one area's count in a quarter and event type is
      withheld, the next smallest is withheld too, so the LLR total cannot give it back
      (\(settings.suppressionSource)).
    - `event_type` ALL counts distinct children with any event; its `events` cell is empty
      (the sum of the other rows would undo suppression).
    - A child with events in two areas counts in each area, and once in the LLR total.
    - Rates: children per 10,000 aged 0–17, \(mappings.populationSource).
    - Cells that a spreadsheet would run as a formula start with `'`.
    """
    let out = try AtomicOutputFile(path: path)
    try out.write(text + "\n")
    try out.commit()
}
