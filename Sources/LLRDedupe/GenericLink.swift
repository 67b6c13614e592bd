import LLRCore
import LLRNormalise
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct GenericLinkSummary: Sendable {
    public var rows = 0
    public var clusters = 0
    public var unreadableDates = 0
    /// Compare-column cells a distance level could not read as a number or date.
    public var unreadableValues = 0
    public var link = LinkStats()
    /// The linkage alone (the files read, before the output is written).
    public var linkSeconds = 0.0
}

/// `llr-dedupe link`: any person files, their columns mapped to the
/// comparison roles by the settings' `columns:` section and any other
/// column compared by `compare:`, linked with the same model as the nightly
/// run. Several inputs (with one header) are linked as one set of rows.
/// Each file is read twice (once to link, once to copy each row out with
/// its `cluster_id`), so only the linkage fields are held.
public func linkPersonFiles(inputs: [String], settings: LinkageSettings, out: String, jobs: Int) throws(DedupeFailure) -> GenericLinkSummary {
    guard !settings.columns.isEmpty || !settings.compare.isEmpty else {
        throw DedupeFailure(description: "the settings have no columns: section; map the file's columns to forename, surname, dob, sex, postcode and the identifier fields")
    }
    let started = monotonicSeconds()
    var reader = try GenericRowReader(settings: settings)
    var header: [String]?
    for input in inputs {
        let found = try reader.read(input)
        if let header, header != found {
            throw DedupeFailure(description: "\(input) has other columns than \(inputs[0]): files linked together need one header")
        }
        header = found
    }
    var settings = settings
    if settings.thresholdsFromData {
        // No blocking of its own: the nightly's rules lean on the date of
        // birth, which a file may lack, so the two names alone are a rule
        // too (long blocks are cut into windows); and a compare column whose
        // values are mostly distinct (an id, an address) is a good key
        // alone, as Splink's examples block on each such column.
        if !settings.blocking.contains(["name-pair"]) { settings.blocking.append(["name-pair"]) }
        for column in reader.distinctColumns(minShare: 0.25) where !settings.blocking.contains([column]) { settings.blocking.append([column]) }
    }
    let result = PersonLinker(settings: settings).link(reader.records, jobs: jobs)
    var summary = GenericLinkSummary()
    summary.rows = reader.records.count
    summary.clusters = result.clusterCount
    summary.unreadableDates = reader.unreadableDates
    summary.unreadableValues = reader.unreadableValues
    summary.link = result.stats
    summary.linkSeconds = monotonicSeconds() - started
    try writeClusters(inputs: inputs, cluster: result.cluster, out: out)
    return summary
}

public func linkPersonFile(input: String, settings: LinkageSettings, out: String, jobs: Int) throws(DedupeFailure) -> GenericLinkSummary {
    try linkPersonFiles(inputs: [input], settings: settings, out: out, jobs: jobs)
}

/// The input rows again, each with its cluster first (and its file, when
/// there are several).
private func writeClusters(inputs: [String], cluster: [Int32], out: String) throws(DedupeFailure) {
    var written = 0
    var failure: String?
    do {
        let output = try CSVOutput(path: out, header: nil)
        for (n, input) in inputs.enumerated() where failure == nil {
            let fileCell = baseName(input)
            if let problem = CSVFileRows.read(path: input, header: { h in
                guard n == 0 else { return }
                do { try output.writeRow { w in w.add("cluster_id"); if inputs.count > 1 { w.add("source_file") }; for c in h { w.add(c) } } } catch {
                    failure = failure ?? "\(error)"
                }
            }, row: { r in
                guard written < cluster.count, failure == nil else { return }
                let k = Int(cluster[written])
                written += 1
                do {
                    try output.writeRow { w in
                        w.add(k)
                        if inputs.count > 1 { w.add(fileCell) }
                        for i in 0..<r.storedCount { w.add(r.cell(i)) }
                    }
                } catch { failure = "\(error)" }
            }) { failure = failure ?? problem }
        }
        if failure == nil { try output.commit() }
    } catch { failure = "\(error)" }
    if let failure { throw DedupeFailure(description: failure) }
}

/// Reads person rows into `records`: the roles normalised as the nightly
/// normaliser does, identifiers hashed, compare columns trimmed and folded
/// to upper case (with their values, for a distance level).
struct GenericRowReader {
    let settings: LinkageSettings
    let records: PersonRecords
    let dobFormat: DateFormat
    let valueFormats: [DateFormat?]
    let wantsValue: [Bool]
    var unreadableDates = 0, unreadableValues = 0
    private var index: [String: Int] = [:]
    private var name: [UInt8] = [], surname: [UInt8] = [], postcode: [UInt8] = [], district: [UInt8] = [], dob: [UInt8] = []
    private var extras: [[UInt8]]

    init(settings: LinkageSettings) throws(DedupeFailure) {
        self.settings = settings
        records = PersonRecords(identifierColumns: settings.deterministic.count)
        do { dobFormat = try DateFormat(settings.dobFormat ?? "%Y-%m-%d") } catch {
            throw DedupeFailure(description: "dobFormat '\(settings.dobFormat ?? "")': \(error.description)")
        }
        valueFormats = settings.compare.map { c in c.dateFormat.flatMap { try? DateFormat($0) } }
        wantsValue = settings.compare.map { c in c.levels.contains { $0.kind == .distance } }
        extras = Array(repeating: [], count: settings.compare.count)
    }

    /// Reads one file; returns its header.
    mutating func read(_ input: String) throws(DedupeFailure) -> [String] {
        var header: [String] = []
        var missing: [String] = []
        let roles = ["forename", "surname", "dob", "sex", "postcode"] + settings.deterministic.map(\.field)
        let problem = CSVFileRows.read(path: input, header: { h in
            header = h
            index = [:]
            // A header cell as typed (`, given_name`) names its column trimmed.
            for (i, c) in h.enumerated() { index[c.trimmingCharactersASCII()] = i }
            missing = roles.compactMap { role in settings.columns[role].flatMap { index[$0] == nil ? "\(role) → \($0)" : nil } }
                + settings.compare.compactMap { index[$0.column] == nil ? "compare → \($0.column)" : nil }
        }, row: { r in
            guard missing.isEmpty else { return }
            append(r)
        })
        if let problem { throw DedupeFailure(description: problem) }
        if !missing.isEmpty { throw DedupeFailure(description: "\(input) has no column for: \(missing.joined(separator: ", ")); fix the columns: or compare: section") }
        return header
    }

    private mutating func append(_ r: RecordView) {
        func cell(_ column: String?) -> UnsafeBufferPointer<UInt8> {
            guard let column, let i = index[column], i < r.storedCount else { return UnsafeBufferPointer(start: nil, count: 0) }
            return r.cell(i).trimmed()
        }
        TextNormalisation.name(cell(settings.columns["forename"]), into: &name)
        TextNormalisation.name(cell(settings.columns["surname"]), into: &surname)
        TextNormalisation.postcode(cell(settings.columns["postcode"]), into: &postcode, district: &district)
        dob.removeAll(keepingCapacity: true)
        let d = cell(settings.columns["dob"])
        if d.count > 0 {
            if case .value(let minutes) = dobFormat.parse(d) { dob = Array(CivilDate(dayNumber: Int(minutes / 1440)).description.utf8) } else { unreadableDates += 1 }
        }
        let sex = sexCode(cell(settings.columns["sex"]))
        let rules = settings.deterministic
        name.withUnsafeBufferPointer { f in surname.withUnsafeBufferPointer { s in dob.withUnsafeBufferPointer { db in postcode.withUnsafeBufferPointer { p in
            records.append(forename: f, surname: s, dob: db, sex: sex, postcode: p) { i in
                let v = cell(settings.columns[rules[i].field])
                if rules[i].ignore.contains(Array(v)) { return 0 }
                return identifierHash(v)
            }
        } } } }
        guard !settings.compare.isEmpty else { return }
        var values: [Double] = []
        for (k, c) in settings.compare.enumerated() {
            let v = cell(c.column)
            extras[k].removeAll(keepingCapacity: true)
            for b in v { extras[k].append(b >= 0x61 && b <= 0x7A ? b - 0x20 : b) }
            values.append(wantsValue[k] && v.count > 0 ? value(v, format: valueFormats[k]) : .nan)
        }
        records.appendExtras(extras, values: values)
    }

    /// The compare columns with at least `minShare` as many distinct values as rows.
    func distinctColumns(minShare: Double) -> [String] {
        settings.compare.indices.filter { k in
            var seen = Set<UInt64>()
            records.arena.withUnsafeBufferPointer { arena in
                for s in records.extra[k] where s.count > 0 { seen.insert(spanHash(arena, s, seed: 20)) }
            }
            return Double(seen.count) >= minShare * Double(max(records.count, 1))
        }.map { settings.compare[$0].column }
    }

    /// A cell as a number, or as days when the comparison reads dates.
    private mutating func value(_ v: UnsafeBufferPointer<UInt8>, format: DateFormat?) -> Double {
        if let format {
            if case .value(let minutes) = format.parse(v) { return Double(minutes / 1440) }
        } else if let x = Double(String(decoding: v, as: UTF8.self)), x.isFinite {
            return x
        }
        unreadableValues += 1
        return .nan
    }
}

/// `M`/`F` from a sex cell: m, f, or the NHS's 1 and 2; 0 otherwise.
private func sexCode(_ cell: UnsafeBufferPointer<UInt8>) -> UInt8 {
    guard let first = cell.first else { return 0 }
    switch first | 0x20 {
    case 0x6D, 0x31: return 0x4D
    case 0x66, 0x32: return 0x46
    default: return 0
    }
}
