import LLRCore

/// Computes the catalogue over the events for the quarters given, per area
/// and for the LLR total, in the catalogue's order.
public struct MeasureEngine: Sendable {
    public let catalogue: MeasureCatalogue
    public let events: MeasureEvents
    public let quarters: [FinancialQuarter]
    public let population: [String: Int]
    public let totalCode: String
    /// The returns received, as "PARTNER|2024-25_Q1"; nil when not known
    /// (then no figure is left empty for a missing return).
    public var received: Set<String>?
    /// Each area's own partner (a council), by area code, with its family.
    public var areaPartners: [String: (code: String, family: String)] = [:]

    public init(catalogue: MeasureCatalogue, events: MeasureEvents, quarters: [FinancialQuarter], population: [String: Int], totalCode: String) {
        self.catalogue = catalogue; self.events = events; self.quarters = quarters.sorted()
        self.population = population; self.totalCode = totalCode
    }

    /// The families whose events a measure counts, through the measure it takes its numerator from.
    func families(_ m: MeasureDefinition) -> [String] {
        if let k = m.events { return k.families }
        return m.numerator.flatMap { catalogue.measure($0) }.map(families) ?? []
    }

    /// Why an area's figure cannot be given for a quarter: its own partner,
    /// whose events the measure counts, sent no return for it.
    func missingReturn(_ m: MeasureDefinition, area: String, _ q: FinancialQuarter) -> String? {
        guard let received, let own = areaPartners[area], families(m).contains(own.family),
              !received.contains(own.code + "|" + q.fileToken) else { return nil }
        return "no \(own.family) return from \(own.code) for \(q)"
    }

    /// Each measure on a worker of its own; the figures in catalogue order.
    public func compute(jobs: Int) -> MeasureResult {
        let order = catalogue.computeOrder
        // Measures made from their own events first, side by side; then those
        // made from other measures' numerators, which only divide.
        let own = order.enumerated().filter { $0.element.events != nil }
        let counted = concurrentMap(own.count, jobs: jobs) { i in count(own[i].element, number: Int32(own[i].offset)) }
        var byCode: [String: CountedMeasure] = [:]
        for (k, c) in zip(own, counted) { byCode[k.element.code] = c }
        var result = MeasureResult()
        for m in catalogue.measures {
            let mine = byCode[m.code] ?? CountedMeasure(numerators: byCode[m.numerator ?? ""]?.numerators ?? [:], members: [], problems: [])
            result.figures += figures(m, numerators: mine.numerators, counted: byCode)
            result.members += mine.members.map { var x = $0; x.measure = Int32(catalogue.measures.firstIndex { $0.code == m.code }!); return x }
            result.problems += mine.problems
        }
        fillPrevious(&result.figures)
        for i in result.figures.indices {
            let f = result.figures[i]
            result.figures[i].rag = catalogue.measure(f.measure)?.rag(value: f.value, previous: f.previousValue)
        }
        return result
    }

    /// Area key of the LLR total in the numerator tables.
    static let total: Int16 = Int16.max

    /// The figures of one measure from its numerator counts (quarter, area → count).
    func figures(_ m: MeasureDefinition, numerators: [Int32: [Int16: Int]], counted: [String: CountedMeasure]) -> [MeasureFigure] {
        var out: [MeasureFigure] = []
        let history = historyFrom(m)
        let areas: [Int16] = [Self.total] + events.areaCodes.indices.map(Int16.init)
        for (qi, q) in quarters.enumerated() {
            for a in areas {
                let code = a == Self.total ? totalCode : events.areaCodes[Int(a)]
                var f = MeasureFigure(measure: m.code, quarter: q, area: code, isTotal: a == Self.total, unit: m.unit, polarity: m.polarity)
                f.historyFrom = history
                if a != Self.total, let why = missingReturn(m, area: code, q) {
                    f.note = why
                    out.append(f)
                    continue
                }
                let n = numerators[Int32(qi)]?[a] ?? 0
                f.numerator = n
                switch m.denominator {
                case nil: f.value = Double(n)
                case .population:
                    let pop = a == Self.total ? population.values.reduce(0, +) : population[code] ?? 0
                    if pop > 0 { f.denominator = pop; f.value = Double(n) * 10_000 / Double(pop) } else { f.note = "no population for \(code) in mappings.yaml" }
                case .measure(let d):
                    let den = counted[d]?.numerators[Int32(qi)]?[a] ?? 0
                    f.denominator = den
                    if den > 0 { f.value = Double(n) * 100 / Double(den) } else { f.note = "no \(d) in the quarter" }
                }
                if a == Self.total {
                    let missing = areaPartners.keys.sorted().compactMap { missingReturn(m, area: $0, q) }
                    if !missing.isEmpty { f.note = ([f.note] + ["without: " + missing.joined(separator: "; ")]).filter { !$0.isEmpty }.joined(separator: "; ") }
                }
                out.append(f)
            }
        }
        return out
    }

    /// The same area's value in the quarter before, and the direction of travel.
    func fillPrevious(_ figures: inout [MeasureFigure]) {
        var index: [String: Int] = [:]
        for (i, f) in figures.enumerated() { index[f.key] = i }
        for i in figures.indices {
            let f = figures[i]
            guard let qi = quarters.firstIndex(of: f.quarter), qi > 0,
                  let j = index[f.key(in: quarters[qi - 1])], let before = figures[j].value else { continue }
            figures[i].previousValue = before
            guard let now = f.value else { continue }
            let change = now > before + 1e-9 ? 1 : now < before - 1e-9 ? -1 : 0
            switch (change, f.polarity) {
            case (0, _): figures[i].direction = "no change"
            case (_, .none): figures[i].direction = change > 0 ? "up" : "down"
            case (_, .high): figures[i].direction = change > 0 ? "improving" : "worsening"
            case (_, .low): figures[i].direction = change < 0 ? "improving" : "worsening"
            }
        }
    }

    /// For a measure that looks back, the quarter of the earliest event it can look at.
    func historyFrom(_ m: MeasureDefinition) -> String {
        guard m.looksBack else { return "" }
        var earliest = Int32.max
        for c in m.conditions {
            guard case .childHas(let kinds, _, _) = c else { continue }
            let select = EventFilter(kinds, events: events)
            for e in 0..<events.count where select.matches(e, in: events) { earliest = min(earliest, events.start[e]) }
        }
        return earliest == Int32.max ? "" : FinancialQuarter(containing: CivilDate(dayNumber: Int(earliest))).description
    }
}

/// One measure's own counts: per quarter and area (and the total), and the events behind them.
struct CountedMeasure: Sendable {
    var numerators: [Int32: [Int16: Int]]
    var members: [MeasureMember]
    var problems: [String]
}

/// Events of some types from some families, as a test on an event number.
struct EventFilter: Sendable {
    /// By type number: whether the type is one of the kinds'.
    let types: [Bool]
    let families: UInt32

    init(_ kinds: EventKinds, events: MeasureEvents) {
        types = events.typeNames.map { kinds.types.isEmpty || kinds.types.contains($0) }
        var mask: UInt32 = 0
        for f in kinds.families { if let i = events.familyNames.firstIndex(of: f) { mask |= 1 << UInt32(i) } }
        families = kinds.families.isEmpty ? ~0 : mask
    }

    @inline(__always) func matches(_ e: Int, in events: MeasureEvents) -> Bool {
        types[Int(events.type[e])] && events.families[e] & families != 0
    }
}
