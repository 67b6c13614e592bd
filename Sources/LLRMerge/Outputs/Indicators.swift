import LLRCore

/// One row of the indicators table (spec §4): a financial quarter × area ×
/// event type. `eventType` ALL counts distinct children with any event.
public struct IndicatorRow: Sendable, Equatable {
    public var financialYear: String
    public var quarter: String
    public var laCode: String
    public var laName: String
    public var eventType: String
    /// Nil on ALL rows: the events of the types above, summed, would give
    /// back a suppressed cell by subtraction.
    public var events: Int?
    public var children: Int
    /// Children with two or more events of the type in the quarter.
    public var repeatChildren: Int
    public var population: Int?
    public var isTotal: Bool

    /// Children per 10,000 of the area's under-18 population.
    public var rate: Double? { population.map { Double(children) * 10_000 / Double($0) } }
}

public let indicatorsHeader = ["financial_year", "quarter", "la_code", "la_name", "event_type", "events", "children",
                               "children_repeat", "population", "rate_per_10000", "population_source"]

/// Counts events and distinct children per quarter, area and event type
/// (and over all types) from the merged events file, streaming it once.
/// A child with events in two areas counts in each; the LLR total counts
/// them once. Group and child keys are hashes of the cells, so a row
/// costs a few table lookups and no allocation.
public func computeIndicators(eventsPath: String, mappings: Mappings, settings: MergeSettings) throws(MergeFailure) -> [IndicatorRow] {
    struct Group: Hashable { var period: Int32; var area: Int32; var type: Int32 }
    struct Child: Hashable { var group: Int32; var person: UInt64 }
    var periods: [UInt64: Int32] = [:], periodText: [(String, String)] = []
    var areas: [UInt64: Int32] = [:], areaText: [(String, String)] = []
    var types: [UInt64: Int32] = [:], typeText: [String] = []
    var groups: [Group: Int32] = [:], groupKeys: [Group] = [], events: [Int] = []
    var perChild: [Child: Int32] = [:]
    var col: [String: Int] = [:]
    var missing: [String] = []
    let total: Int32 = -1, all: Int32 = -1

    func intern(_ table: inout [UInt64: Int32], _ cell: UnsafeBufferPointer<UInt8>, _ add: () -> Void) -> Int32 {
        let h = hashBytes(cell.baseAddress, cell.count)
        if let i = table[h] { return i }
        let i = Int32(table.count)
        table[h] = i
        add()
        return i
    }
    func group(_ g: Group) -> Int32 {
        if let i = groups[g] { return i }
        let i = Int32(groupKeys.count)
        groups[g] = i; groupKeys.append(g); events.append(0)
        return i
    }
    func count(_ g: Group, _ who: UInt64) {
        let i = group(g)
        events[Int(i)] += 1
        perChild[Child(group: i, person: who), default: 0] += 1
    }
    let needed = ["financial_year", "quarter", "la_code", "la_name", "event_type", "llr_person_id"]
    let problem = CSVFileRows.read(path: eventsPath, header: { h in
        for (i, name) in h.enumerated() { col[name] = i }
        missing = needed.filter { col[$0] == nil }
    }) { row in
        guard let fy = col["financial_year"], let q = col["quarter"], let la = col["la_code"], let name = col["la_name"],
              let type = col["event_type"], let person = col["llr_person_id"], row.storedCount > max(fy, q, la, name, type, person) else { return }
        func text(_ i: Int) -> String { String(decoding: row.cell(i), as: UTF8.self) }
        let periodKey = row.cell(fy).count > 0 ? hashBytes(row.cell(fy).baseAddress, row.cell(fy).count, seed: UInt64(truncatingIfNeeded: hashBytes(row.cell(q).baseAddress, row.cell(q).count))) : 0
        var p = periods[periodKey] ?? -1
        if p < 0 { p = Int32(periodText.count); periods[periodKey] = p; periodText.append((text(fy), text(q))) }
        let a = intern(&areas, row.cell(la)) { areaText.append((text(la), text(name))) }
        let t = intern(&types, row.cell(type)) { typeText.append(text(type)) }
        let who = hashBytes(row.cell(person).baseAddress, row.cell(person).count)
        count(Group(period: p, area: a, type: t), who)
        count(Group(period: p, area: total, type: t), who)
        count(Group(period: p, area: a, type: all), who)
        count(Group(period: p, area: total, type: all), who)
    }
    if let problem { throw MergeFailure("cannot read the merged events: \(problem)") }
    if !missing.isEmpty { throw MergeFailure("the merged events have no column \(missing.joined(separator: ", ")); the indicators cannot be counted") }

    var children = [Int](repeating: 0, count: groupKeys.count), repeats = children
    for (c, n) in perChild {
        children[Int(c.group)] += 1
        if n >= 2 { repeats[Int(c.group)] += 1 }
    }
    let llrPopulation = mappings.population.values.reduce(0, +)
    var rows: [IndicatorRow] = []
    for (i, g) in groupKeys.enumerated() {
        let (fy, q) = periodText[Int(g.period)]
        let isTotal = g.area == total
        let (code, name) = isTotal ? (settings.totalCode, settings.totalName) : areaText[Int(g.area)]
        rows.append(IndicatorRow(
            financialYear: fy, quarter: q, laCode: code, laName: name, eventType: g.type == all ? "ALL" : typeText[Int(g.type)],
            events: g.type == all ? nil : events[i], children: children[i], repeatChildren: repeats[i],
            population: isTotal ? (llrPopulation > 0 ? llrPopulation : nil) : mappings.population[code], isTotal: isTotal))
    }
    // Quarter, then the LLR total before the areas, areas by code, ALL before the types.
    rows.sort {
        ($0.financialYear, $0.quarter, $0.isTotal ? 0 : 1, $0.laCode, $0.eventType == "ALL" ? 0 : 1, $0.eventType)
            < ($1.financialYear, $1.quarter, $1.isTotal ? 0 : 1, $1.laCode, $1.eventType == "ALL" ? 0 : 1, $1.eventType)
    }
    return rows
}

/// Small-count suppression for the published indicators: which cells of
/// each row are withheld. Counts from the settings' minimum to maximum are
/// withheld (primary); then, within a quarter and event type, when exactly
/// one area's cell in a column is withheld, the smallest other non-zero
/// cell of that column is withheld too (secondary), so the LLR total minus
/// the other areas does not give it back. A rate goes with its count.
public struct Suppression: Sendable {
    /// Per row: events, children, children_repeat withheld.
    public var withheld: [[Bool]]

    public init(_ rows: [IndicatorRow], settings: MergeSettings) {
        withheld = rows.map { r in
            [r.events.map(settings.suppressed) ?? false, settings.suppressed(r.children), settings.suppressed(r.repeatChildren)]
        }
        var groups: [String: [Int]] = [:]
        for (i, r) in rows.enumerated() where !r.isTotal {
            groups[r.financialYear + "|" + r.quarter + "|" + r.eventType, default: []].append(i)
        }
        for members in groups.values {
            for column in 0..<3 {
                func value(_ i: Int) -> Int {
                    switch column {
                    case 0: return rows[i].events ?? 0
                    case 1: return rows[i].children
                    default: return rows[i].repeatChildren
                    }
                }
                let hidden = members.filter { withheld[$0][column] }
                guard hidden.count == 1 else { continue }
                let candidates = members.filter { !withheld[$0][column] && value($0) > 0 }
                if let next = candidates.min(by: { (value($0), rows[$0].laCode) < (value($1), rows[$1].laCode) }) {
                    withheld[next][column] = true
                }
            }
        }
    }
}

/// Writes the indicators, in full (restricted dataset) or as published.
func writeIndicators(_ rows: [IndicatorRow], to path: String, mappings: Mappings, settings: MergeSettings,
                     suppression: Suppression?, gzip: Bool) throws(OutputError) {
    let source = mappings.populationSource
    try writeTable(path: path, header: indicatorsHeader, gzip: gzip, count: rows.count) { i, w in
        let r = rows[i]
        let hide = suppression?.withheld[i] ?? [false, false, false]
        let marker = settings.suppressionMarker
        w.add(r.financialYear); w.add(r.quarter); w.add(r.laCode); w.add(r.laName); w.add(r.eventType)
        if let e = r.events { if hide[0] { w.add(marker) } else { w.add(e) } } else { w.add("") }
        if hide[1] { w.add(marker) } else { w.add(r.children) }
        if hide[2] { w.add(marker) } else { w.add(r.repeatChildren) }
        if let p = r.population { w.add(p) } else { w.add("") }
        if hide[1] { w.add(marker) } else { w.add(r.rate.map { decimalText($0, places: 1) } ?? "") }
        w.add(r.population == nil ? "" : source)
    }
}
