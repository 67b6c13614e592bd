import LLRCore

/// The aligned events as the measures need them (contract §7): each one's
/// child, type, families, area and days, in plain arrays, with each child's
/// events together in date order.
public struct MeasureEvents: Sendable {
    public private(set) var count = 0
    var person: [Int32] = []
    var type: [Int16] = []
    /// Bit per family (in `familyNames` order) of the returns behind the event.
    var families: [UInt32] = []
    /// Index into `areaCodes`; `notKnown` counts in LLR only, `outside` in no area.
    var area: [Int16] = []
    var start: [Int32] = []
    var end: [Int32] = []
    var eventIds = IdArena()
    var personIds = IdArena()
    public let typeNames: [String]
    public let familyNames: [String]
    public let areaCodes: [String]
    /// Event numbers by child, each child's in start order, and where each child's begin.
    var byPerson: [Int32] = []
    var personFirst: [Int32] = []

    static let notKnown: Int16 = -1, outside: Int16 = -2
    static let noDay = Int32.min

    public init(contract: Pipelines) {
        typeNames = contract.mappings.canonicalEventTypes
        familyNames = contract.families.keys.sorted()
        areaCodes = contract.mappings.laNames.keys.sorted()
    }

    public var personCount: Int { personIds.count }

    /// Reads events.csv(.gz) as the dedupe wrote it.
    public static func read(path: String, contract: Pipelines) throws(MeasureFailure) -> MeasureEvents {
        var builder = MeasureEventsBuilder(contract: contract)
        let problem = CSVFileRows.read(path: path, header: { builder.header($0) }) { builder.add($0) }
        if let problem { throw MeasureFailure("cannot read the events (\(path)): \(problem)") }
        return try builder.finish(path: path)
    }

    mutating func append(person p: Int32, type t: Int16, families f: UInt32, area a: Int16, start s: Int32, end e: Int32) {
        person.append(p); type.append(t); families.append(f); area.append(a); start.append(s); end.append(e)
        count += 1
    }

    mutating func groupByPerson() {
        let order = (0..<count).sorted { (person[$0], start[$0], $0) < (person[$1], start[$1], $1) }
        byPerson = order.map(Int32.init)
        personFirst = [Int32](repeating: 0, count: personCount + 1)
        for e in order { personFirst[Int(person[e]) + 1] += 1 }
        for p in 0..<personCount { personFirst[p + 1] += personFirst[p] }
    }

    /// The child's events, in start order.
    @inline(__always) func events(ofPerson p: Int32) -> ArraySlice<Int32> {
        byPerson[Int(personFirst[Int(p)])..<Int(personFirst[Int(p) + 1])]
    }
}

/// Ids as text, one after another, each found by number.
struct IdArena: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int32] = []
    var count: Int { ends.count }

    mutating func append(_ cell: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: cell)
        ends.append(Int32(bytes.count))
    }

    subscript(_ i: Int) -> String { withBytes(i) { String(decoding: $0, as: UTF8.self) } }

    func withBytes<R, E: Error>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let from = i == 0 ? 0 : Int(ends[i - 1])
        return try bytes.withUnsafeBufferPointer { (all) throws(E) -> R in try body(UnsafeBufferPointer(rebasing: all[from..<Int(ends[i])])) }
    }
}

/// Builds the measures' events from the rows of events.csv, for a reader
/// of that file that has other uses for the rows too (the merge counts its
/// indicators in the same pass).
public struct MeasureEventsBuilder {
    var reader: EventRowReader
    var missing: [String] = []

    public init(contract: Pipelines) { reader = EventRowReader(table: MeasureEvents(contract: contract), contract: contract) }
    public mutating func header(_ h: [String]) { missing = reader.find(h) }
    public mutating func add(_ row: RecordView) { reader.add(row) }

    public func finish(path: String) throws(MeasureFailure) -> MeasureEvents {
        if !missing.isEmpty { throw MeasureFailure("the events (\(path)) have no column \(missing.joined(separator: ", "))") }
        if let bad = reader.problem { throw MeasureFailure("the events (\(path)): \(bad)") }
        var table = reader.table
        table.groupByPerson()
        return table
    }
}

/// Fills a `MeasureEvents` from the rows of events.csv. Codes, areas,
/// partners and children are found by a hash of their bytes: a row costs a
/// few table lookups and no text made.
struct EventRowReader {
    var table: MeasureEvents
    var problem: String?
    private var columns: [Int] = []
    private var lastColumn = Int.max
    private var personNumber = HashIndex(capacity: 1 << 16)
    private let typeIndex: [UInt64: Int16]
    private let areaIndex: [UInt64: Int16]
    private let notKnownHash: UInt64
    /// Partner code → its family's bit and, for a council, its area.
    private let partners: [UInt64: (family: UInt32, area: Int16?)]

    static let needed = ["llr_event_id", "llr_person_id", "event_type", "event_start", "event_end", "la_code", "sources"]

    init(table: MeasureEvents, contract: Pipelines) {
        self.table = table
        typeIndex = Dictionary(uniqueKeysWithValues: table.typeNames.enumerated().map { (textHash($1), Int16($0)) })
        let areas = Dictionary(uniqueKeysWithValues: table.areaCodes.enumerated().map { ($1, Int16($0)) })
        areaIndex = Dictionary(uniqueKeysWithValues: areas.map { (textHash($0.key), $0.value) })
        notKnownHash = textHash(contract.mappings.notKnownCode)
        var partners: [UInt64: (UInt32, Int16?)] = [:]
        for p in contract.registry.partners {
            let bit = UInt32(1) << UInt32(table.familyNames.firstIndex(of: p.family) ?? 31)
            partners[textHash(p.code)] = (bit, p.area.flatMap { areas[$0] })
        }
        self.partners = partners
    }

    mutating func find(_ header: [String]) -> [String] {
        columns = CSVFileRows.columns(header, Self.needed)
        lastColumn = CSVFileRows.lastColumn(columns)
        return zip(Self.needed, columns).filter { $0.1 < 0 }.map(\.0)
    }

    mutating func add(_ row: RecordView) {
        guard problem == nil, row.storedCount > lastColumn else { return }
        func text(_ k: Int) -> String { String(decoding: row.cell(columns[k]), as: UTF8.self) }
        guard let type = typeIndex[cellHash(row.cell(columns[2]))] else { problem = "event type '\(text(2))' is not a canonical type of mappings.yaml"; return }
        guard let start = isoDay(row.cell(columns[3])) else { problem = "event_start '\(text(3))' is not a date"; return }
        let end = isoDay(row.cell(columns[4])) ?? MeasureEvents.noDay
        let (p, isNew) = personNumber.number(cellHash(row.cell(columns[1])))
        if isNew { table.personIds.append(row.cell(columns[1])) }
        let (families, councilArea) = sources(row.cell(columns[6]))
        let la = cellHash(row.cell(columns[5]))
        let area = councilArea ?? areaIndex[la]
            ?? (la == notKnownHash || row.cell(columns[5]).isEmpty ? MeasureEvents.notKnown : MeasureEvents.outside)
        table.eventIds.append(row.cell(columns[0]))
        table.append(person: Int32(p), type: type, families: families, area: area, start: start, end: end)
    }

    /// The families of the `;`-separated partner codes, and the first council's area.
    private func sources(_ cell: UnsafeBufferPointer<UInt8>) -> (UInt32, Int16?) {
        var families: UInt32 = 0
        var councilArea: Int16?
        var from = 0
        for i in 0...cell.count where i == cell.count || cell[i] == 0x3B {
            if let p = partners[cellHash(UnsafeBufferPointer(rebasing: cell[from..<i]))] {
                families |= p.family
                if councilArea == nil { councilArea = p.area }
            }
            from = i + 1
        }
        return (families, councilArea)
    }
}

@inline(__always) func cellHash(_ c: UnsafeBufferPointer<UInt8>) -> UInt64 { hashBytes(c.baseAddress, c.count) }

func textHash(_ s: String) -> UInt64 {
    var s = s
    return s.withUTF8 { cellHash($0) }
}

/// The day number of a cell starting `yyyy-mm-dd` (a time after it is ignored).
func isoDay(_ cell: UnsafeBufferPointer<UInt8>) -> Int32? {
    guard cell.count >= 10, cell[4] == 0x2D, cell[7] == 0x2D else { return nil }
    func number(_ r: Range<Int>) -> Int? {
        var v = 0
        for i in r { guard isDigit(cell[i]) else { return nil }; v = v * 10 + Int(cell[i] &- 0x30) }
        return v
    }
    guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), CivilDate.isReal(year: y, month: m, day: d) else { return nil }
    return Int32(CivilDate.dayNumber(year: y, month: m, day: d))
}

/// The measures could not be computed; the message says why.
public struct MeasureFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
