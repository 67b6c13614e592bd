import LLRCore
#if canImport(Glibc)
import Glibc
#endif

/// One file a partner sent, as the portal lists it.
public struct SentReturn: Sendable, Equatable {
    public var name: String
    public var partner: String
    public var quarter: FinancialQuarter
    public var version: Int
    public var bytes: Int64
    /// received (waiting for tonight's merge), in tonight's dataset,
    /// superseded (a later version counts), or unreadable.
    public var status: String
}

/// A partner's quarter as the last night's merge judged it.
public struct QuarterStatus: Sendable, Equatable {
    public var partner: String
    public var quarter: FinancialQuarter
    public var due: String
    /// on time, late, missing, not yet due, unreadable…
    public var status: String
    public var file: String
}

/// What has been sent and what is due: the inbox for what came, and the
/// last night's `quality.csv.gz` (in the dataset folder) for what the merge
/// made of it. Read fresh on every request: both change under the portal.
public struct ReturnsStatus: Sendable {
    public let inbox: String
    public let dataset: String
    public let registry: PartnerRegistry

    public init(inbox: String, dataset: String, registry: PartnerRegistry) {
        self.inbox = inbox; self.dataset = dataset; self.registry = registry
    }

    /// Each partner's quarters, as the last merge left them.
    public func quarters(partner: String?) -> [QuarterStatus] {
        var out: [QuarterStatus] = []
        var cols: [Int] = []
        let wanted = ["partner", "financial_year", "quarter", "due_date", "return_status", "file"]
        _ = CSVFileRows.read(path: dataset + "/quality.csv.gz", header: { cols = CSVFileRows.columns($0, wanted) }) { row in
            guard row.storedCount > CSVFileRows.lastColumn(cols) else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(cols[k]), as: UTF8.self) }
            guard partner == nil || text(0) == partner, let q = FinancialQuarter(text(1) + "_" + text(2)) else { return }
            out.append(QuarterStatus(partner: text(0), quarter: q, due: text(3), status: text(4), file: text(5)))
        }
        return out.sorted { ($0.quarter, $0.partner) > ($1.quarter, $1.partner) }
    }

    /// The files in the inbox from `partner` (every partner's for nil),
    /// newest quarter first, judged by `judged` (what `quarters` gave).
    public func sent(partner: String?, judged: [QuarterStatus]) -> [SentReturn] {
        let counted = Set(judged.map(\.file))
        let unreadable = Set(judged.filter { $0.status == "unreadable" }.map(\.file))
        var out: [SentReturn] = []
        for name in directoryEntries(inbox) ?? [] where !name.hasPrefix(".") {
            guard case .success(let r) = ReturnFileName.parse(name, registry: registry), partner == nil || r.partner == partner else { continue }
            var st = stat()
            guard stat(inbox + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            // The version the merge counted for this quarter: one below it is superseded, one above waits for tonight.
            let countedVersion = judged.first { $0.partner == r.partner && $0.quarter == r.quarter && !$0.file.isEmpty }
                .flatMap { q -> Int? in if case .success(let c) = ReturnFileName.parse(q.file, registry: registry) { return c.version } else { return nil } }
            let status = unreadable.contains(name) ? "unreadable"
                : counted.contains(name) ? "in tonight's dataset"
                : countedVersion.map { r.version < $0 && r.family == registry.partner(code: r.partner)?.family } == true ? "superseded" : "received"
            out.append(SentReturn(name: name, partner: r.partner, quarter: r.quarter, version: r.version, bytes: Int64(st.st_size), status: status))
        }
        return out.sorted { ($0.quarter, $0.partner, $0.name) > ($1.quarter, $1.partner, $1.name) }
    }
}
