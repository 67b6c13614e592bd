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
public func computeIndicators(eventsPath: String, mappings: Mappings, settings: MergeSettings,
                              distinctLimit: Int = 1 << 20) throws(MergeFailure) -> [IndicatorRow] {
    struct Group { var period: Int32; var area: Int32; var type: Int32 }
    // Periods, areas, types and groups are numbered as they come, through
    // HashIndex (no hashing of Swift values per row); each (group, child)
    // pair is counted under a hash of the two.
    var periods = HashIndex(capacity: 64), periodText: [(String, String)] = []
    var areas = HashIndex(capacity: 64), areaText: [(String, String)] = []
    var types = HashIndex(capacity: 64), typeText: [String] = []
    var groups = HashIndex(capacity: 1024), groupKeys: [Group] = [], events: [Int] = []
    var pairs = HashIndex(capacity: 1 << 16), pairGroup: [Int32] = [], pairEvents: [Int32] = []
    var columns: [Int] = []
    var missing: [String] = []
    let total: Int32 = -1, all: Int32 = -1

    func intern(_ table: inout HashIndex, _ key: UInt64, _ add: () -> Void) -> Int32 {
        let (i, isNew) = table.number(key)
        if isNew { add() }
        return Int32(i)
    }
    // A group's key packs its three numbers into 21 bits each; more distinct
    // periods, areas or types than that (none a real dataset comes near)
    // would make keys collide, so the run stops with a failure that says so
    // (`distinctLimit` lowers the bar for a test).
    let limit = min(distinctLimit, 1 << 20)
    var tooMany = false
    func count(_ g: Group, _ who: UInt64) {
        // Numbers below 2^20 each, shifted up by one so no key is 0.
        let key = UInt64(UInt32(bitPattern: g.period + 1)) << 42 | UInt64(UInt32(bitPattern: g.area + 1)) << 21 | UInt64(UInt32(bitPattern: g.type + 1))
        let i = intern(&groups, key) { groupKeys.append(g); events.append(0) }
        events[Int(i)] += 1
        let (k, isNew) = pairs.number(mixHash(who ^ UInt64(UInt32(bitPattern: i)) &* 0x9E37_79B9_7F4A_7C15))
        if isNew { pairGroup.append(i); pairEvents.append(1) } else { pairEvents[k] += 1 }
    }
    let needed = ["financial_year", "quarter", "la_code", "la_name", "event_type", "llr_person_id"]
    let problem = CSVFileRows.read(path: eventsPath, header: { h in
        columns = CSVFileRows.columns(h, needed)
        missing = needed.filter { !h.contains($0) }
    }) { row in
        guard columns.count == 6, columns.allSatisfy({ $0 >= 0 }), row.storedCount > columns.max()! else { return }
        let fy = columns[0], q = columns[1], la = columns[2], name = columns[3], type = columns[4], person = columns[5]
        func text(_ i: Int) -> String { String(decoding: row.cell(i), as: UTF8.self) }
        func key(_ i: Int, seed: UInt64 = 0x5EED) -> UInt64 { hashBytes(row.cell(i).baseAddress, row.cell(i).count, seed: seed) }
        let p = intern(&periods, row.cell(fy).count > 0 ? key(fy, seed: key(q)) : 0) { periodText.append((text(fy), text(q))) }
        let a = intern(&areas, key(la)) { areaText.append((text(la), text(name))) }
        let t = intern(&types, key(type)) { typeText.append(text(type)) }
        guard p < limit && a < limit && t < limit else { tooMany = true; return }
        let who = key(person)
        count(Group(period: p, area: a, type: t), who)
        count(Group(period: p, area: total, type: t), who)
        count(Group(period: p, area: a, type: all), who)
        count(Group(period: p, area: total, type: all), who)
    }
    if let problem { throw MergeFailure("cannot read the merged events: \(problem)") }
    if tooMany {
        throw MergeFailure("the merged events have more than \(limit - 1) distinct quarters, areas or event types; the indicators cannot be counted (check the mappings in Pipelines/)")
    }
    if !missing.isEmpty { throw MergeFailure("the merged events have no column \(missing.joined(separator: ", ")); the indicators cannot be counted") }

    var children = [Int](repeating: 0, count: groupKeys.count), repeats = children
    for (g, n) in zip(pairGroup, pairEvents) {
        children[Int(g)] += 1
        if n >= 2 { repeats[Int(g)] += 1 }
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
