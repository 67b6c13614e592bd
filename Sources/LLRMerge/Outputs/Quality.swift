import LLRCore

/// One row of the quality table (spec §4): what a partner sent for a quarter.
public struct QualityRow: Sendable {
    public var partner: String
    public var partnerName: String
    public var family: String
    public var quarter: FinancialQuarter
    public var due: CivilDate
    /// on time, late, missing, not yet due (nothing yet, not due),
    /// unreadable, or left out tonight (its normalised rows in the state
    /// were lost or damaged and could not be made again; the run report
    /// says why).
    public var status: String
    public var file = ""
    public var version = 0
    /// The day the version that counts arrived, and the day the first readable version did (lateness).
    public var received = ""
    public var firstReceived = ""
    public var rows = 0
    public var rowsRejected = 0
    public var errors = 0
    public var warnings = 0
    public var duplicates = 0
    public var events = 0
    /// Mean share of the family's fields filled in accepted rows, 0–100.
    public var completeness: Double?
    /// The least complete fields, `field NN%`.
    public var leastComplete = ""

    /// Whether the row counts a return whose rows are in the dataset.
    public var hasCounts: Bool { !file.isEmpty && status != "unreadable" && status != QualityRow.leftOutTonight }
    public static let leftOutTonight = "left out tonight"
}

public let qualityHeader = ["partner", "partner_name", "family", "financial_year", "quarter", "due_date", "return_status",
                            "file", "version", "received", "first_received", "rows_read", "rows_rejected", "errors", "warnings",
                            "duplicates_removed", "events", "field_completeness_pct", "least_complete_fields"]

/// Every partner in the registry is expected to send one return a quarter,
/// from the schedule's first quarter to the last one due by `asOf`, and for
/// any later quarter something already arrived for. The return that counts
/// is the highest version that could be read.
/// `leftOut`: the files whose rows are not in tonight's dataset.
public func qualityRows(ledger: [LedgerEntry], registry: PartnerRegistry, settings: MergeSettings, asOf: CivilDate,
                        leftOut: Set<String> = []) -> [QualityRow] {
    var quarters = Set<FinancialQuarter>()
    var q = settings.firstQuarter
    while settings.dueDate(q) <= asOf {
        quarters.insert(q)
        guard let next = FinancialQuarter(startYear: q.quarter == 4 ? q.startYear + 1 : q.startYear, quarter: q.quarter % 4 + 1) else { break }
        q = next
    }
    let current = ledger.filter { $0.status != .replaced && $0.status != .unrecognised }
    for e in current { if let fq = FinancialQuarter(e.period) { quarters.insert(fq) } }

    var rows: [QualityRow] = []
    for quarter in quarters.sorted() {
        for partner in registry.partners {
            let due = settings.dueDate(quarter)
            var row = QualityRow(partner: partner.code, partnerName: partner.name, family: partner.family, quarter: quarter, due: due, status: "")
            let sent = current.filter { $0.partner == partner.code && $0.family == partner.family && FinancialQuarter($0.period) == quarter }
            let readable = sent.filter(\.wasRead)
            if let e = readable.max(by: { ($0.version, $0.firstRun) < ($1.version, $1.firstRun) }) {
                // On time when the first version came by the due date; a later correction does not make it late.
                let first = readable.compactMap { CivilDate(iso: $0.received) }.min()
                row.status = first.map { $0 > due ? "late" : "on time" } ?? "on time"
                row.firstReceived = first?.description ?? e.received
                row.file = e.fileName; row.version = e.version; row.received = e.received
                row.rows = e.rows; row.rowsRejected = e.rowsRejected; row.errors = e.errors; row.warnings = e.warnings
                row.duplicates = e.duplicates; row.events = e.events
                let filled = parsePairs(e.completeness)
                if e.events > 0 && !filled.isEmpty {
                    let shares = filled.map { ($0.0, Double($0.1) * 100 / Double(e.events)) }
                    row.completeness = shares.map(\.1).reduce(0, +) / Double(shares.count)
                    row.leastComplete = shares.filter { $0.1 < 100 }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3)
                        .map { "\($0.0) \(decimalText($0.1, places: 0))%" }.joined(separator: "; ")
                }
                if leftOut.contains(e.fileName) { row.status = QualityRow.leftOutTonight; row.completeness = nil; row.leastComplete = "" }
            } else if let e = sent.max(by: { $0.firstRun < $1.firstRun }) {
                row.status = "unreadable"
                row.file = e.fileName; row.version = e.version; row.received = e.received
            } else {
                row.status = due < asOf ? "missing" : "not yet due"
            }
            rows.append(row)
        }
    }
    return rows
}

func writeQuality(_ rows: [QualityRow], to path: String, gzip: Bool) throws(OutputError) {
    try writeTable(path: path, header: qualityHeader, gzip: gzip, count: rows.count) { i, w in
        let r = rows[i]
        w.add(r.partner); w.add(r.partnerName); w.add(r.family); w.add(r.quarter.financialYear); w.add("Q\(r.quarter.quarter)")
        w.add(r.due.description); w.add(r.status); w.add(r.file)
        if r.version > 0 { w.add(r.version) } else { w.add("") }
        w.add(r.received); w.add(r.firstReceived)
        if !r.hasCounts {
            for _ in 0..<6 { w.add("") }
        } else {
            w.add(r.rows); w.add(r.rowsRejected); w.add(r.errors); w.add(r.warnings); w.add(r.duplicates); w.add(r.events)
        }
        w.add(r.completeness.map { decimalText($0, places: 1) } ?? "")
        w.add(r.leastComplete)
    }
}

/// `a=1;b=2` → [(a, 1), (b, 2)], the ledger's compact form of counts.
func parsePairs(_ text: String) -> [(String, Int)] {
    text.split(separator: ";").compactMap { part in
        guard let eq = part.lastIndex(of: "=") else { return nil }
        return (String(part[..<eq]), Int(part[part.index(after: eq)...]) ?? 0)
    }
}

func pairsText(_ pairs: [(String, Int)]) -> String { pairs.map { "\($0.0)=\($0.1)" }.joined(separator: ";") }
