import LLRCore
import LLRDedupe

/// What became of a return file, as the ledger keeps it.
public enum LedgerStatus: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Seen tonight, not yet read.
    case new
    /// Read; its rows are in the dataset.
    case processed
    /// It could not be read; an earlier copy, if any, stands.
    case failed
    /// Its name breaks the convention.
    case unrecognised
    /// Newer bytes arrived under its name.
    case replaced
    /// A later `_vN` of its quarter arrived; its rows stay, with that status.
    case superseded

    public var description: String { rawValue }
}

/// What the merge knows about one return file it has received.
public struct LedgerEntry: Sendable {
    public var fileName: String
    public var sha256: String
    public var partner: String
    public var family: String
    public var period: String
    public var version: Int
    public var bytes: Int
    public var received: String
    public var firstRun: Int
    public var status: LedgerStatus
    public var rows = 0
    public var rowsRejected = 0
    public var errors = 0
    public var warnings = 0
    public var duplicates = 0
    public var events = 0
    /// `code=count` pairs of its findings, `;`-separated.
    public var findings = ""
    /// `field=filled` pairs over its accepted rows, `;`-separated.
    public var completeness = ""
    /// What went wrong, for failed and unrecognised files.
    public var problem = ""
    /// The date its rows were checked against (the run's --as-of, or the
    /// day it was received): a return whose cached rows are made again is
    /// checked as of the same day, so they come out as they first did.
    /// Empty in entries from ledgers written before it was kept.
    public var checkedAsOf = ""

    /// Read and normalised, its rows in the lineage: processed, or
    /// superseded (its rows stay, with that status).
    public var wasRead: Bool { status == .processed || status == .superseded }
}

/// The ledger (SQLite, in the state folder): every file ever received, by
/// name and content hash, and every run with the fingerprint of its inputs,
/// so a night with nothing new can stop early and a replaced file is known.
public final class Ledger {
    let db: SQLiteDatabase
    static let columns = "file_name, sha256, partner, family, period, version, bytes, received, first_run, status, rows, rows_rejected, errors, warnings, duplicates, events, findings, completeness, problem, checked_as_of"

    public init(path: String) throws(SQLiteError) {
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS return_file (
                file_name TEXT NOT NULL, sha256 TEXT NOT NULL, partner TEXT NOT NULL, family TEXT NOT NULL,
                period TEXT NOT NULL, version INTEGER NOT NULL, bytes INTEGER NOT NULL, received TEXT NOT NULL,
                first_run INTEGER NOT NULL, status TEXT NOT NULL, rows INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,
                errors INTEGER NOT NULL, warnings INTEGER NOT NULL, duplicates INTEGER NOT NULL, events INTEGER NOT NULL,
                findings TEXT NOT NULL, completeness TEXT NOT NULL, problem TEXT NOT NULL,
                PRIMARY KEY (file_name, sha256));
            CREATE TABLE IF NOT EXISTS merge_run (
                run INTEGER PRIMARY KEY, started TEXT NOT NULL, as_of TEXT NOT NULL, fingerprint TEXT NOT NULL,
                files_new INTEGER NOT NULL, outcome TEXT NOT NULL);
            """)
        // Added later: a ledger from before gains the column, empty.
        var columns: Set<String> = []
        try db.prepare("PRAGMA table_info(return_file)").forEachRow { columns.insert($0.text(1)) }
        if !columns.contains("checked_as_of") {
            try db.execute("ALTER TABLE return_file ADD COLUMN checked_as_of TEXT NOT NULL DEFAULT ''")
        }
    }

    public func entries() throws(SQLiteError) -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        var unknownStatus: String?
        try db.prepare("SELECT \(Ledger.columns) FROM return_file ORDER BY file_name, first_run, sha256").forEachRow { s in
            guard let status = LedgerStatus(rawValue: s.text(9)) else { unknownStatus = unknownStatus ?? "\(s.text(0)): '\(s.text(9))'"; return }
            var e = LedgerEntry(fileName: s.text(0), sha256: s.text(1), partner: s.text(2), family: s.text(3), period: s.text(4),
                                version: s.int(5), bytes: s.int(6), received: s.text(7), firstRun: s.int(8), status: status)
            e.rows = s.int(10); e.rowsRejected = s.int(11); e.errors = s.int(12); e.warnings = s.int(13)
            e.duplicates = s.int(14); e.events = s.int(15); e.findings = s.text(16); e.completeness = s.text(17); e.problem = s.text(18)
            e.checkedAsOf = s.text(19)
            out.append(e)
        }
        if let unknownStatus { throw SQLiteError(description: "the ledger holds a status it does not know (\(unknownStatus))") }
        return out
    }

    /// The fingerprint of the last run that completed, and its number.
    public func lastRun() throws(SQLiteError) -> (run: Int, fingerprint: String)? {
        var last: (Int, String)?
        try db.prepare("SELECT run, fingerprint FROM merge_run WHERE outcome = 'complete' ORDER BY run DESC LIMIT 1").forEachRow { last = ($0.int(0), $0.text(1)) }
        return last
    }

    public func nextRun() throws(SQLiteError) -> Int {
        var n = 1
        try db.prepare("SELECT COALESCE(MAX(run), 0) + 1 FROM merge_run").forEachRow { n = $0.int(0) }
        return n
    }

    /// Records tonight's files and the run in one transaction, after the
    /// dataset is in place: a run killed before this repeats tonight's work.
    public func record(run: Int, started: String, asOf: String, fingerprint: String, filesNew: Int, entries: [LedgerEntry]) throws(SQLiteError) {
        try db.transaction { () throws(SQLiteError) in
            let put = try db.prepare("INSERT OR REPLACE INTO return_file(\(Ledger.columns)) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)")
            for e in entries {
                put.bind(1, e.fileName); put.bind(2, e.sha256); put.bind(3, e.partner); put.bind(4, e.family); put.bind(5, e.period)
                put.bind(6, e.version); put.bind(7, e.bytes); put.bind(8, e.received); put.bind(9, e.firstRun); put.bind(10, e.status.rawValue)
                put.bind(11, e.rows); put.bind(12, e.rowsRejected); put.bind(13, e.errors); put.bind(14, e.warnings)
                put.bind(15, e.duplicates); put.bind(16, e.events); put.bind(17, e.findings); put.bind(18, e.completeness); put.bind(19, e.problem)
                put.bind(20, e.checkedAsOf)
                try put.run()
            }
            let r = try db.prepare("INSERT INTO merge_run(run, started, as_of, fingerprint, files_new, outcome) VALUES(?1, ?2, ?3, ?4, ?5, 'complete')")
            r.bind(1, run); r.bind(2, started); r.bind(3, asOf); r.bind(4, fingerprint); r.bind(5, filesNew)
            try r.run()
        }
    }
}
