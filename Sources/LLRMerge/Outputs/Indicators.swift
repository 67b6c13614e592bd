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
/// `alsoHeader` and `alsoRow` see the file too, for a caller that reads the
/// same rows for something else (the measures) in the same pass.
public func computeIndicators(eventsPath: String, mappings: Mappings, settings: MergeSettings, distinctLimit: Int = 1 << 20,
                              alsoHeader: ([String]) -> Void = { _ in }, alsoRow: (RecordView) -> Void = { _ in }) throws(MergeFailure) -> [IndicatorRow] {
    // About four (group, child) pairs per events row, and a row is 150 bytes
    // or more: the pairs' table is made big enough once instead of growing
    // through a dozen copies.
    var counts = IndicatorCounts(expectedPairs: min((fileSize(eventsPath) ?? 0) / 40, 1 << 27), distinctLimit: distinctLimit)
    var missing: [String] = []
    let needed = ["financial_year", "quarter", "la_code", "la_name", "event_type", "llr_person_id"]
    let problem = CSVFileRows.read(path: eventsPath, header: { h in
        missing = needed.filter { !h.contains($0) }
        if missing.isEmpty { counts.columns = CSVFileRows.columns(h, needed) }
        alsoHeader(h)
    }) { row in
        counts.add(row)
        alsoRow(row)
    }
    if let problem { throw MergeFailure("cannot read the merged events: \(problem)") }
    if counts.tooMany {
        throw MergeFailure("the merged events have more than \(counts.limit - 1) distinct quarters, areas or event types; the indicators cannot be counted (check the mappings in Pipelines/)")
    }
    if !missing.isEmpty { throw MergeFailure("the merged events have no column \(missing.joined(separator: ", ")); the indicators cannot be counted") }
    let (groupKeys, events, pairGroup, pairEvents) = (counts.groupKeys, counts.events, counts.pairGroup, counts.pairEvents)
    let (periodText, areaText, typeText) = (counts.periodText, counts.areaText, counts.typeText)
    let total = IndicatorCounts.total, all = IndicatorCounts.all

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

/// The running counts behind the indicators: periods, areas, types and
/// groups numbered as they come, through HashIndex (no hashing of Swift
/// values per row); each (group, child) pair counted under a hash of the
/// two. A value the row loop changes through one call per row.
struct IndicatorCounts {
    struct Group { var period: Int32; var area: Int32; var type: Int32 }
    static let total: Int32 = -1, all: Int32 = -1
    var periods = HashIndex(capacity: 64), periodText: [(String, String)] = []
    var areas = HashIndex(capacity: 64), areaText: [(String, String)] = []
    var types = HashIndex(capacity: 64), typeText: [String] = []
    var groups = HashIndex(capacity: 1024), groupKeys: [Group] = [], events: [Int] = []
    var pairs: HashIndex, pairGroup: [Int32] = [], pairEvents: [Int32] = []
    /// Columns of financial_year, quarter, la_code, la_name, event_type, llr_person_id.
    var columns: [Int] = [] { didSet { lastColumn = CSVFileRows.lastColumn(columns) } }
    private var lastColumn = Int.max
    /// A group's key packs its three numbers into 21 bits each; more distinct
    /// periods, areas or types than that (none a real dataset comes near)
    /// would make keys collide, so counting stops and says so (the limit can
    /// be lowered for a test).
    let limit: Int
    private(set) var tooMany = false

    init(expectedPairs: Int, distinctLimit: Int) {
        pairs = HashIndex(capacity: max(1 << 16, expectedPairs))
        limit = min(distinctLimit, 1 << 20)
    }

    mutating func add(_ row: RecordView) {
        guard row.storedCount > lastColumn, !tooMany else { return }
        let fy = columns[0], q = columns[1], la = columns[2], name = columns[3], type = columns[4], person = columns[5]
        func text(_ i: Int) -> String { String(decoding: row.cell(i), as: UTF8.self) }
        func key(_ i: Int, seed: UInt64 = 0x5EED) -> UInt64 { hashBytes(row.cell(i).baseAddress, row.cell(i).count, seed: seed) }
        let (p, newPeriod) = periods.number(row.cell(fy).count > 0 ? key(fy, seed: key(q)) : 0)
        if newPeriod { periodText.append((text(fy), text(q))) }
        let (a, newArea) = areas.number(key(la))
        if newArea { areaText.append((text(la), text(name))) }
        let (t, newType) = types.number(key(type))
        if newType { typeText.append(text(type)) }
        guard p < limit && a < limit && t < limit else { tooMany = true; return }
        let (p32, a32, t32) = (Int32(p), Int32(a), Int32(t))
        let who = key(person)
        // The four groups a row counts in; their pairs' slots are fetched
        // from memory together rather than one miss after another.
        let g0 = group(p32, a32, t32), g1 = group(p32, Self.total, t32), g2 = group(p32, a32, Self.all), g3 = group(p32, Self.total, Self.all)
        let k0 = pairKey(who, g0), k1 = pairKey(who, g1), k2 = pairKey(who, g2), k3 = pairKey(who, g3)
        pairs.prefetch(k0, withRow: true); pairs.prefetch(k1, withRow: true)
        pairs.prefetch(k2, withRow: true); pairs.prefetch(k3, withRow: true)
        countPair(k0, g0); countPair(k1, g1); countPair(k2, g2); countPair(k3, g3)
    }

    private mutating func group(_ period: Int32, _ area: Int32, _ type: Int32) -> Int32 {
        // Numbers below 2^20 each, shifted up by one so no key is 0; mixed,
        // because the table finds a slot from a key's low bits, which alone
        // would hold only the type (every area's group of a type probing from
        // the same slot).
        let key = UInt64(UInt32(bitPattern: period + 1)) << 42 | UInt64(UInt32(bitPattern: area + 1)) << 21 | UInt64(UInt32(bitPattern: type + 1))
        let (i, isNew) = groups.number(mixHash(key))
        if isNew { groupKeys.append(Group(period: period, area: area, type: type)); events.append(0) }
        events[i] += 1
        return Int32(i)
    }

    @inline(__always) private func pairKey(_ who: UInt64, _ g: Int32) -> UInt64 {
        mixHash(who ^ UInt64(UInt32(bitPattern: g)) &* 0x9E37_79B9_7F4A_7C15)
    }

    private mutating func countPair(_ key: UInt64, _ g: Int32) {
        let (k, isNew) = pairs.number(key)
        if isNew { pairGroup.append(g); pairEvents.append(1) } else { pairEvents[k] += 1 }
    }
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
