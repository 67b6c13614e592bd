import LLRCore

/// The measures' tables: `measures.csv.gz` (business unit), the published
/// `measures.csv` (small counts suppressed) and the restricted members.
public enum MeasureTables {
    public static let header = ["measure", "financial_year", "quarter", "area", "numerator", "denominator", "value", "unit",
                                "polarity", "previous_value", "direction", "history_from", "rag", "revised", "first_published", "note"]
    public static let membersHeader = ["measure", "financial_year", "quarter", "area", "part", "llr_event_id", "llr_person_id"]

    /// A value as the tables write it: a count whole, a percent or rate to one place.
    static func text(_ v: Double?, _ unit: MeasureUnit) -> String {
        guard let v else { return "" }
        return unit == .count ? String(Int(v.rounded())) : decimalText(v, places: 1)
    }

    public static func write(_ figures: [MeasureFigure], to path: String, gzip: Bool, suppression: MeasureSuppression?) throws(OutputError) {
        try writeTable(path: path, header: header, gzip: gzip, count: figures.count) { i, w in
            let f = figures[i]
            let hidden = suppression?.withheld[i] ?? false
            let marker = suppression?.marker ?? ""
            w.add(f.measure); w.add(f.quarter.financialYear); w.add("Q\(f.quarter.quarter)"); w.add(f.area)
            w.add(hidden && suppression!.hidesNumerator(f) ? marker : f.numerator.map(String.init) ?? "")
            w.add(hidden && suppression!.hidesDenominator(f) ? marker : f.denominator.map(String.init) ?? "")
            w.add(hidden ? marker : text(f.value, f.unit))
            w.add(f.unit.rawValue); w.add(f.polarity.rawValue)
            w.add(hidden || suppression?.withheldBefore[i] == true ? (f.previousValue == nil ? "" : marker) : text(f.previousValue, f.unit))
            w.add(hidden || suppression?.withheldBefore[i] == true ? "" : f.direction)
            w.add(f.historyFrom)
            w.add(hidden ? "" : f.rag?.rawValue ?? "")
            w.add(f.revised ? "true" : "false")
            w.add(hidden || !f.revised ? "" : text(f.firstPublished, f.unit))
            w.add(f.note)
        }
    }

    /// Which events and children are behind each figure's numerator. Each
    /// event is listed once, under its own area (`NOT_KNOWN` when its place
    /// is not recorded); the LLR total's members are all of a figure's rows.
    public static func writeMembers(_ result: MeasureResult, catalogue: MeasureCatalogue, events: MeasureEvents, quarters: [FinancialQuarter],
                                    notKnownCode: String, to path: String, background: Bool) throws(OutputError) {
        let out = try FastCSVGzipRows(path: path, header: membersHeader, level: 1, background: background)
        // The cells every row of a figure shares, escaped once.
        func cells(_ values: [String]) -> [[UInt8]] { values.map(encodedCell) }
        let codes = cells(catalogue.measures.map(\.code))
        let years = cells(quarters.map(\.financialYear)), qs = cells(quarters.map { "Q\($0.quarter)" })
        let areas = cells(events.areaCodes), notKnown = encodedCell(notKnownCode), part = Array("numerator".utf8)
        for m in result.members {
            let e = Int(m.event)
            for cell in [codes[Int(m.measure)], years[Int(m.quarter)], qs[Int(m.quarter)], m.area >= 0 ? areas[Int(m.area)] : notKnown, part] {
                cell.withUnsafeBufferPointer { out.verbatim($0) }
            }
            events.eventIds.withBytes(e) { out.cell($0) }
            events.personIds.withBytes(Int(events.person[e])) { out.cell($0) }
            try out.endRow()
        }
        try out.commit()
    }
}
