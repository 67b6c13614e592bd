import LLRCore

/// The board's pack (`board-pack.html`): one self-contained page, inline
/// CSS and SVG, no scripts. Reds and movers first, then one section per
/// board priority, each measure a row: latest value with its parts, the
/// quarter before and the direction, RAG, England's value where checked, a
/// sparkline of every quarter, and revisions. Printed on A4, each priority
/// starts a page; every colour has its text beside it.
public struct BoardPack: Sendable {
    public let catalogue: MeasureCatalogue
    public let figures: [MeasureFigure]
    /// Area code → name, the LLR total's code first.
    public let areas: [(code: String, name: String)]
    /// Withheld figures of the published pack (nil: the full pack).
    public let suppression: MeasureSuppression?
    /// The partners' commentary, reconciled with their records.
    public let partnerSaid: PackCommentary

    public init(catalogue: MeasureCatalogue, figures: [MeasureFigure], areas: [(code: String, name: String)], suppression: MeasureSuppression?,
                commentary: PackCommentary = PackCommentary()) {
        self.catalogue = catalogue; self.figures = figures; self.areas = areas; self.suppression = suppression; partnerSaid = commentary
    }

    var quarters: [FinancialQuarter] { Array(Set(figures.map(\.quarter))).sorted() }
    var total: String { areas.first?.code ?? "LLR" }

    public func render() -> String {
        guard let latest = quarters.last else { return page(body: "<p>No measures yet: no return has been read.</p>", latest: nil) }
        var body = summary(latest)
        var priorities: [String] = []
        for m in catalogue.measures where !priorities.contains(m.priority) { priorities.append(m.priority) }
        for p in priorities { body += section(p, latest: latest) }
        body += partnerMeasuresSection(latest)
        return page(body: body, latest: latest)
    }

    /// The figure and whether the published pack withholds it.
    func figure(_ code: String, _ q: FinancialQuarter, _ area: String) -> (MeasureFigure, hidden: Bool)? {
        guard let i = figures.firstIndex(where: { $0.measure == code && $0.quarter == q && $0.area == area }) else { return nil }
        return (figures[i], suppression?.withheld[i] ?? false)
    }
}
