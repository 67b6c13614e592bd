import LLRCore
import LLRMeasures

extension ContractDocs {
    /// The target as the board set it (or the placeholder that stands for it).
    static func targetText(_ m: MeasureDefinition) -> String {
        let tol = m.tolerance > 0 ? " (amber within \(decimalText(m.tolerance, places: 1)))" : ""
        if let r = m.expectedRange { return "expected \(decimalText(r.lowerBound, places: 1))–\(decimalText(r.upperBound, places: 1))\(tol); \(m.targetSource)" }
        if let t = m.target { return "\(m.polarity == .high ? "at least" : "at most") \(decimalText(t, places: 1))\(tol); \(m.targetSource)" }
        return ""
    }

    /// The board's measures, each in plain English, grouped by priority.
    static func measures(_ c: MeasureCatalogue) -> String {
        var out = generated + "# The board's measures\n\nFrom `Pipelines/measures.yaml` (\(c.source)). Computed every night by "
        out += "`llr-merge` for every quarter with returns, per local authority and for LLR; `llr-measures explain CODE` prints one "
        out += "of these definitions. Working days skip weekends and the England and Wales bank holidays of "
        out += "`Pipelines/bankholidays.yaml` (\(c.workingDays.source), \(c.workingDays.years.lowerBound)–\(c.workingDays.years.upperBound)).\n\n"
        out += "Counting: a council's events count in its own authority; other events where the child lives or was; an event whose "
        out += "place is not recorded counts in LLR only; one outside LLR in no area. A child counts once in LLR and once in each "
        out += "area where one of their events lies. Published figures withhold counts of 1–4 and what is made from them.\n"
        var priorities: [String] = []
        for m in c.measures where !priorities.contains(m.priority) { priorities.append(m.priority) }
        for p in priorities {
            out += "\n## \(p)\n\n"
            out += table(["code", "measure", "unit", "better", "definition", "target", "source"], c.measures.filter { $0.priority == p }.map { m in
                [m.code, m.title, m.unit.rawValue, m.polarity == .none ? "" : m.polarity == .high ? "higher" : "lower", c.sentence(m),
                 targetText(m), m.source]
            })
        }
        out += "\n## Published reference values\n\nFrom `Pipelines/benchmarks.yaml`; empty where no published figure has been checked.\n\n"
        out += table(["measure", "year", "England", "statistical neighbours", "source", "note"], c.benchmarks.map { b in
            [b.measure, b.year, b.national.map { decimalText($0, places: 1) } ?? "", b.statisticalNeighbours.map { decimalText($0, places: 1) } ?? "", b.source, b.note]
        })
        return out + partnersOwn(c)
    }

    /// The commentary return's reconciliation and the measures only partners report.
    static func partnersOwn(_ c: MeasureCatalogue) -> String {
        var out = "\n## Partners' commentary and their own figures\n\nA partner's commentary return (contract §8, `families.md`) may give its own "
        out += "figure for a measure. For a catalogue measure it is set against what the records give (a council's against its own authority's "
        out += "figure, any other partner's against the LLR figure); a difference above the tolerance is named in the run report and the pack. "
        out += "Tolerance: " + MeasureUnit.allCases.map { "\($0.rawValue) \(decimalText(c.reconcileTolerance[$0] ?? 0, places: 1))" }.joined(separator: ", ")
        out += " (a count's in events or children, a percent's or rate's in points).\n\nMeasures only a partner reports, which its commentary may name:\n\n"
        return out + table(["partner", "code", "measure", "unit", "source"], c.partnerMeasures.map { [$0.partner, $0.code, $0.title, $0.unit, $0.source] })
    }
}
