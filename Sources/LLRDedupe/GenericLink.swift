import LLRCore
import LLRNormalise

public struct GenericLinkSummary: Sendable {
    public var rows = 0
    public var clusters = 0
    public var unreadableDates = 0
    public var link = LinkStats()
}

/// `llr-dedupe link`: any person file, its columns mapped to the comparison
/// roles by the settings' `columns:` section, linked with the same model as
/// the nightly run. Reads the file twice (once to link, once to copy each
/// row out with its `cluster_id`), so only the linkage fields are held.
public func linkPersonFile(input: String, settings: LinkageSettings, out: String, jobs: Int) throws(DedupeFailure) -> GenericLinkSummary {
    guard !settings.columns.isEmpty else {
        throw DedupeFailure(description: "the settings have no columns: section; map the file's columns to forename, surname, dob, sex, postcode and the identifier fields")
    }
    let dobFormat: DateFormat
    do { dobFormat = try DateFormat(settings.dobFormat ?? "%Y-%m-%d") } catch {
        throw DedupeFailure(description: "dobFormat '\(settings.dobFormat ?? "")': \(error.description)")
    }
    var summary = GenericLinkSummary()
    let records = PersonRecords(identifierColumns: settings.deterministic.count)
    var index: [String: Int] = [:]
    var missing: [String] = []
    var name: [UInt8] = [], surname: [UInt8] = [], postcode: [UInt8] = [], district: [UInt8] = [], dob: [UInt8] = []
    let roles = ["forename", "surname", "dob", "sex", "postcode"] + settings.deterministic.map(\.field)
    if let problem = CSVFileRows.read(path: input, header: { h in
        for (i, c) in h.enumerated() { index[c] = i }
        missing = roles.compactMap { role in settings.columns[role].flatMap { index[$0] == nil ? "\(role) → \($0)" : nil } }
    }, row: { r in
        func cell(_ role: String) -> UnsafeBufferPointer<UInt8> {
            guard let c = settings.columns[role], let i = index[c], i < r.storedCount else { return UnsafeBufferPointer(start: nil, count: 0) }
            return r.cell(i)
        }
        TextNormalisation.name(cell("forename"), into: &name)
        TextNormalisation.name(cell("surname"), into: &surname)
        TextNormalisation.postcode(cell("postcode"), into: &postcode, district: &district)
        dob.removeAll(keepingCapacity: true)
        let d = cell("dob")
        if d.count > 0 {
            if case .value(let minutes) = dobFormat.parse(d) { dob = Array(CivilDate(dayNumber: Int(minutes / 1440)).description.utf8) } else { summary.unreadableDates += 1 }
        }
        let sexCell = cell("sex")
        var sex: UInt8 = 0
        if let first = sexCell.first {
            switch first | 0x20 {
            case 0x6D, 0x31: sex = 0x4D  // m, 1 (NHS male)
            case 0x66, 0x32: sex = 0x46  // f, 2
            default: sex = 0
            }
        }
        name.withUnsafeBufferPointer { f in surname.withUnsafeBufferPointer { s in dob.withUnsafeBufferPointer { db in postcode.withUnsafeBufferPointer { p in
            records.append(forename: f, surname: s, dob: db, sex: sex, postcode: p) { i in
                let v = cell(settings.deterministic[i].field)
                if settings.deterministic[i].ignore.contains(Array(v)) { return 0 }
                return identifierHash(v)
            }
        } } } }
    }) { throw DedupeFailure(description: problem) }
    if !missing.isEmpty { throw DedupeFailure(description: "\(input) has no column for: \(missing.joined(separator: ", ")); fix the columns: section") }
    let result = PersonLinker(settings: settings).link(records, jobs: jobs)
    summary.rows = records.count
    summary.clusters = result.clusterCount
    summary.link = result.stats

    var written = 0
    var failure: String?
    do {
        let output = try CSVOutput(path: out, header: nil)
        if let problem = CSVFileRows.read(path: input, header: { h in
            do { try output.writeRow { w in w.add("cluster_id"); for c in h { w.add(c) } } } catch { failure = failure ?? "\(error)" }
        }, row: { r in
            guard written < result.cluster.count, failure == nil else { return }
            let k = Int(result.cluster[written])
            written += 1
            do {
                try output.writeRow { w in
                    w.add(k)
                    for i in 0..<r.storedCount { w.add(r.cell(i)) }
                }
            } catch { failure = "\(error)" }
        }) { failure = failure ?? problem }
        if failure == nil { try output.commit() }
    } catch { failure = "\(error)" }
    if let failure { throw DedupeFailure(description: failure) }
    return summary
}
