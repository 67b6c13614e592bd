import LLRCore

/// One computation of the catalogue over a dataset folder's events, and
/// its three tables, each written to a temporary name and renamed.
public struct MeasureRun: Sendable {
    public let catalogue: MeasureCatalogue
    public let contract: Pipelines
    public let totalCode: String

    public init(catalogue: MeasureCatalogue, contract: Pipelines, totalCode: String) {
        self.catalogue = catalogue; self.contract = contract; self.totalCode = totalCode
    }

    /// `received`: the returns that came, as "PARTNER|2024-25_Q1", so that
    /// an authority's figure is left empty, with the reason, for a quarter
    /// its council sent nothing for; nil when not known.
    public func compute(eventsPath: String, quarters: [FinancialQuarter], received: Set<String>? = nil,
                        jobs: Int) throws(MeasureFailure) -> (MeasureResult, MeasureEvents) {
        let events = try MeasureEvents.read(path: eventsPath, contract: contract)
        return (compute(events, quarters: quarters, received: received, jobs: jobs), events)
    }

    public func compute(_ events: MeasureEvents, quarters: [FinancialQuarter], received: Set<String>? = nil, jobs: Int) -> MeasureResult {
        var engine = MeasureEngine(catalogue: catalogue, events: events, quarters: quarters, population: contract.mappings.population,
                                   totalCode: totalCode)
        engine.received = received
        for p in contract.registry.partners { if let a = p.area { engine.areaPartners[a] = (p.code, p.family) } }
        return engine.compute(jobs: jobs)
    }

    /// The partners' commentary with each figure that disagrees with their records.
    public func reconcile(_ rows: [CommentaryRow], figures: [MeasureFigure]) -> PackCommentary {
        let gaps = Reconciliation(catalogue: catalogue, registry: contract.registry, totalCode: totalCode).discrepancies(rows, figures: figures)
        return PackCommentary(rows: rows, discrepancies: gaps, partnerMeasures: catalogue.partnerMeasures)
    }

    /// Every output of the measures in `folder`: `measures.csv.gz`,
    /// `restricted/measure_members.csv.gz` and `board-pack.html` in full;
    /// `published/measures.csv` and `published/board-pack.html` with the
    /// small counts withheld (one suppression serves both). Returns the
    /// seconds the two packs took.
    @discardableResult
    public func write(_ result: MeasureResult, events: MeasureEvents, quarters: [FinancialQuarter], to folder: String, totalName: String,
                      suppressMinimum: Int, suppressMaximum: Int, marker: String, commentary: PackCommentary = PackCommentary(),
                      background: Bool = true) throws(OutputError) -> Double {
        try makeDirectories(folder + "/published")
        try makeDirectories(folder + "/restricted")
        try MeasureTables.write(result.figures, to: folder + "/measures.csv.gz", gzip: true, suppression: nil)
        let suppression = MeasureSuppression(result.figures, minimum: suppressMinimum, maximum: suppressMaximum, marker: marker)
        try MeasureTables.write(result.figures, to: folder + "/published/measures.csv", gzip: false, suppression: suppression)
        try MeasureTables.writeMembers(result, catalogue: catalogue, events: events, quarters: quarters.sorted(),
                                       notKnownCode: contract.mappings.notKnownCode, to: folder + "/restricted/measure_members.csv.gz",
                                       background: background)
        let areas = [(totalCode, totalName)] + contract.mappings.laNames.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let started = monotonicSeconds()
        for (path, s) in [(folder + "/board-pack.html", nil), (folder + "/published/board-pack.html", suppression)] {
            let out = try AtomicOutputFile(path: path)
            try out.write(BoardPack(catalogue: catalogue, figures: result.figures, areas: areas, suppression: s, commentary: commentary).render())
            try out.commit()
        }
        return monotonicSeconds() - started
    }
}
