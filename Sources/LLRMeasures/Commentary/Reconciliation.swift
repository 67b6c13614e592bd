import LLRCore

/// A partner's own figure for a catalogue measure set against what the
/// linked records give (contract §8), when the two differ by more than the
/// catalogue's tolerance for the unit.
public struct Discrepancy: Sendable, Equatable {
    public var partner: String
    public var quarter: FinancialQuarter
    public var measure: String
    public var reported: Double
    /// nil when the records give no figure (the note says why).
    public var records: Double?
    /// The area of the records' figure: the partner's own authority, or the LLR total.
    public var area: String
    /// The sentence a board member reads.
    public var text: String
}

/// Sets each commentary row with a value against the measure's figure: for
/// a partner that is an authority's council, its authority's figure (its
/// own returns); for any other partner, the LLR total, which is what the
/// linked records of every agency give.
public struct Reconciliation: Sendable {
    public let catalogue: MeasureCatalogue
    public let registry: PartnerRegistry
    public let totalCode: String

    public init(catalogue: MeasureCatalogue, registry: PartnerRegistry, totalCode: String) {
        self.catalogue = catalogue; self.registry = registry; self.totalCode = totalCode
    }

    public func discrepancies(_ commentary: [CommentaryRow], figures: [MeasureFigure]) -> [Discrepancy] {
        var byKey: [String: MeasureFigure] = [:]
        for f in figures { byKey[f.key] = f }
        var out: [Discrepancy] = []
        for c in commentary {
            guard let reported = c.value, let m = catalogue.measure(c.measure) else { continue }
            let own = registry.partner(code: c.partner)?.area
            let area = own ?? totalCode
            guard let figure = byKey["\(c.measure)|\(c.quarter.fileToken)|\(area)"] else { continue }
            let tolerance = catalogue.reconcileTolerance[m.unit] ?? 0
            if let records = figure.value, abs(records - reported) <= tolerance + 1e-9 { continue }
            out.append(Discrepancy(partner: c.partner, quarter: c.quarter, measure: c.measure, reported: reported, records: figure.value,
                                   area: area, text: sentence(c, m, reported: reported, figure: figure, ownReturns: own != nil)))
        }
        return out.sorted { ($0.quarter, $0.partner, $0.measure) > ($1.quarter, $1.partner, $1.measure) }
    }

    /// "LCC reports 12,235 for Contacts to children's social care in 2024-25 Q1; its returns hold 12,220: 15 fewer."
    func sentence(_ c: CommentaryRow, _ m: MeasureDefinition, reported: Double, figure: MeasureFigure, ownReturns: Bool) -> String {
        let head = "\(c.partner) reports \(figureText(reported, m.unit)) for \(m.title) (\(m.code)) in \(c.quarter)"
        let whose = ownReturns ? "its returns" : "the linked records of every agency in LLR"
        guard let records = figure.value else {
            return head + "; \(whose) give no figure" + (figure.note.isEmpty ? "" : " (\(figure.note))")
        }
        let gap = reported - records
        let size = m.unit == .count ? groupedNumber(Int(abs(gap).rounded())) : decimalText(abs(gap), places: 1) + " points"
        let way = m.unit == .count ? (gap > 0 ? "fewer" : "more") : (gap > 0 ? "lower" : "higher")
        return head + "; \(whose) \(m.unit == .count ? "hold" : "give") \(figureText(records, m.unit)): \(size) \(way)"
    }
}

/// A figure as the pack and the report write it: a count with thousands
/// separators, a percent with its sign, a rate per 10,000.
public func figureText(_ v: Double, _ unit: MeasureUnit) -> String {
    switch unit {
    case .count: return groupedNumber(Int(v.rounded()))
    case .percent: return decimalText(v, places: 1) + "%"
    case .rate: return decimalText(v, places: 1) + " per 10,000"
    }
}

/// 12235 → "12,235".
public func groupedNumber(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}
