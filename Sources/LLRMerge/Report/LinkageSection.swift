import Foundation
import LLRCore
import LLRDedupe

/// The run report's account of the person linkage: what joined records and
/// what was held back, the model's estimated m and u per level, the match
/// weights of the pairs scored against the thresholds, the review queue by
/// reason, and every clerical decision with what became of it tonight.
func linkageSectionHTML(_ d: DedupeSummary) -> String {
    let s = d.link, esc = htmlEscaped
    var h = "<h2>Person linkage</h2>\n<p>\(s.records) records; "
    h += "\(s.candidatePairs) candidate pairs scored (\(s.trainingPairs) pairs joined by an identifier trained the m values, \(s.randomPairs) random pairs the u values). "
    let conflicts = zip(s.ruleNames, s.idConflicts).filter { $0.1 > 0 }.map { "\($0.1) on \($0.0)" }
    h += "Same id, different child?: \(s.idConflicts.reduce(0, +)) records share an identifier with a record whose names and date of birth are another child's, and were not joined on it"
    h += conflicts.isEmpty ? "" : " (\(conflicts.joined(separator: ", ")))"
    h += "; each partner's are in its outbox as <code>*.linkage.report.html</code>. "
    h += "\(s.refusedByGuard) joins refused because two different NHS numbers or UPNs would meet"
    h += s.carriedRefused > 0 ? "; \(s.carriedRefused) rows of an earlier night's child set apart by tonight's names and dob" : ""
    h += ".</p>\n"
    h += "<h3>Review queue (restricted/review.csv)</h3>\n"
    h += d.reviewByReason.isEmpty ? "<p>Empty.</p>\n"
        : "<table><tr><th>reason</th><th>pairs</th></tr>\n" + d.reviewByReason.map { "<tr><td>\(esc($0.reason))</td><td>\($0.pairs)</td></tr>\n" }.joined() + "</table>\n"
    h += decisionsTable(d)
    h += "<h3>Match weights of the pairs scored</h3>\n" + weightHistogram(s)
    h += "<h3>Estimated m and u per level</h3>\n<table><tr><th>field</th><th>level</th><th>m</th><th>u</th><th>weight log2(m/u)</th></tr>\n"
    for p in s.parameters {
        let weight = p.m > 0 && p.u > 0 ? decimalText(log2(p.m / p.u), places: 2) : ""
        h += "<tr><td>\(esc(p.field))</td><td>\(esc(p.level))</td><td>\(decimalText(p.m, places: 4))</td><td>\(significantText(p.u, digits: 3))</td><td>\(weight)</td></tr>\n"
    }
    return h + "</table>\n"
}

/// Every decision in force: who made it, when, the note, and whether it held.
private func decisionsTable(_ d: DedupeSummary) -> String {
    let esc = htmlEscaped
    var h = "<h3>Clerical decisions (llr-dedupe decide)</h3>\n"
    guard !d.decisions.isEmpty else { return h + "<p>None recorded.</p>\n" }
    let applied = d.decisions.filter { $0.status == .applied }.count
    h += "<p>\(d.decisions.count) decisions in force, \(applied) applied tonight.</p>\n"
    h += "<table><tr><th>row</th><th>row</th><th>decision</th><th>decided by</th><th>when</th><th>note</th><th>tonight</th></tr>\n"
    for o in d.decisions {
        let x = o.decision
        h += "<tr><td>\(esc(x.fileA)) row \(x.rowA)</td><td>\(esc(x.fileB)) row \(x.rowB)</td><td>\(x.verdict.rawValue)</td>"
        h += "<td>\(esc(x.decidedBy))</td><td>\(esc(x.decidedAt))</td><td>\(esc(x.note))</td><td>\(esc(o.status.rawValue + (o.throughResubmission ? ", to the rows of the resubmission that replaced a return" : "")))</td></tr>\n"
    }
    return h + "</table>\n"
}

/// Pairs scored per 2-unit band of match weight, with the review and match
/// thresholds drawn across: the gap between the two humps is where review
/// pairs fall.
private func weightHistogram(_ s: LinkStats) -> String {
    let counts = s.weightHistogram
    guard counts.contains(where: { $0 > 0 }) else { return "<p class=\"meta\">No pair was scored.</p>\n" }
    let width = 900, height = 260, left = 60, bottom = 40, top = 20
    let plotW = Double(width - left - 10), plotH = Double(height - bottom - top)
    let barW = plotW / Double(counts.count)
    // Square-root scale: the true-match hump is a few hundred pairs beside millions of strangers.
    let maxRoot = Double(counts.max()!).squareRoot()
    func x(_ weight: Double) -> Double { Double(left) + (weight - LinkStats.histogramLow) / LinkStats.histogramStep * barW }
    var svg = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
    for (k, c) in counts.enumerated() where c > 0 {
        let hgt = plotH * Double(c).squareRoot() / maxRoot
        let low = LinkStats.histogramLow + Double(k) * LinkStats.histogramStep
        svg += "<rect x=\"\(SVGChart.number(Double(left) + barW * Double(k)))\" y=\"\(SVGChart.number(Double(top) + plotH - hgt))\" "
        svg += "width=\"\(SVGChart.number(barW - 1))\" height=\"\(SVGChart.number(hgt))\" fill=\"#1d70b8\"><title>\(Int(low)) to \(Int(low + LinkStats.histogramStep)): \(c) pairs</title></rect>\n"
    }
    for w in stride(from: LinkStats.histogramLow, through: LinkStats.histogramLow + LinkStats.histogramStep * Double(counts.count), by: 10) {
        svg += "<text x=\"\(SVGChart.number(x(w)))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(Int(w))</text>"
    }
    // The review label left of its line, the match label right of its own: the two are close.
    for (label, w, color, side) in [("review \(decimalText(s.reviewWeight, places: 0))", s.reviewWeight, "#f47738", -1.0),
                                    ("match \(decimalText(s.matchWeight, places: 0))", s.matchWeight, "#00703c", 1.0)] {
        svg += "<line x1=\"\(SVGChart.number(x(w)))\" x2=\"\(SVGChart.number(x(w)))\" y1=\"\(top)\" y2=\"\(top + Int(plotH))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(SVGChart.number(x(w) + 4 * side))\" y=\"\(top + 12)\" fill=\"\(color)\" text-anchor=\"\(side < 0 ? "end" : "start")\">\(label)</text>\n"
    }
    svg += "<text x=\"\(left)\" y=\"\(height - 4)\">match weight (log2 Bayes factor); bar height: square root of the pairs</text>"
    return svg + "</svg>\n"
}

/// The linkage's figures in the JSON report.
func linkageJSON(_ d: DedupeSummary, into w: inout JSONWriter) {
    let s = d.link
    w.key("linkage"); w.out += "{"
    w.key("candidatePairs"); w.out += "\(s.candidatePairs), "
    w.key("sameIdDifferentChild"); w.out += "{"
    w.out += zip(s.ruleNames, s.idConflicts).map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}, "
    w.key("refusedByGuard"); w.out += "\(s.refusedByGuard), "
    w.key("reviewByReason"); w.out += "{"
    for (i, r) in d.reviewByReason.enumerated() { if i > 0 { w.out += ", " }; w.key(r.reason); w.out += "\(r.pairs)" }
    w.out += "}, "
    w.key("decisions"); w.out += "{"
    for (i, status) in [DecisionOutcome.Status.applied, .rowsGone, .refused].enumerated() {
        if i > 0 { w.out += ", " }
        w.key(status == .applied ? "applied" : status == .rowsGone ? "rowsGone" : "refused")
        w.out += "\(d.decisions.filter { $0.status == status }.count)"
    }
    w.out += ", "; w.key("throughResubmission"); w.out += "\(d.decisions.filter(\.throughResubmission).count)}, "
    w.key("matchWeightHistogram"); w.out += "{"; w.key("low"); w.out += "\(LinkStats.histogramLow), "
    w.key("step"); w.out += "\(LinkStats.histogramStep), "; w.key("pairs"); w.out += "[" + s.weightHistogram.map(String.init).joined(separator: ", ") + "]}, "
    w.key("parameters"); w.out += "["
    for (i, p) in s.parameters.enumerated() {
        if i > 0 { w.out += ", " }
        w.out += "{"; w.key("field"); w.string(p.field); w.out += ", "; w.key("level"); w.string(p.level)
        w.out += ", "; w.key("m"); w.out += decimalText(p.m, places: 6); w.out += ", "; w.key("u"); w.out += significantText(p.u, digits: 4) + "}"
    }
    w.out += "]}"
}
