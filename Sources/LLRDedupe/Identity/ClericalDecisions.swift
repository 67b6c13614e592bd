import LLRCore

/// A pair of source rows a person decided (`llr-dedupe decide`): the same
/// child or two children. Stands on every later night, whatever the scores.
public struct ClericalDecision: Sendable, Equatable {
    public enum Verdict: String, Sendable { case match, nonMatch = "non-match" }
    public var fileA: String
    public var rowA: Int
    public var fileB: String
    public var rowB: Int
    public var verdict: Verdict
    public var decidedBy: String
    public var decidedAt: String
    public var note: String

    public init(fileA: String, rowA: Int, fileB: String, rowB: Int, verdict: Verdict, decidedBy: String, decidedAt: String, note: String) {
        // One order for a pair, whichever way round it was written.
        if (fileB, rowB) < (fileA, rowA) {
            (self.fileA, self.rowA, self.fileB, self.rowB) = (fileB, rowB, fileA, rowA)
        } else {
            (self.fileA, self.rowA, self.fileB, self.rowB) = (fileA, rowA, fileB, rowB)
        }
        self.verdict = verdict
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.note = note
    }
}

/// What became of a decision tonight, for the run report.
public struct DecisionOutcome: Sendable {
    public enum Status: String, Sendable {
        case applied
        case rowsGone = "a row is no longer in the dataset (its return was replaced by one without that record)"
        case refused = "another decision keeps the two apart"
    }
    public var decision: ClericalDecision
    public var status: Status
    /// A row it names was in a return since replaced by a `_vN`: the
    /// decision went to the replacement's row with the same record key.
    public var throughResubmission = false
}

/// The rows that carry a person, per source file, as last night linked
/// them: a bit per row number, so a decision can be checked by `decide`.
public struct LinkedRows: Sendable {
    public private(set) var bits: [String: [UInt8]] = [:]
    public init() {}

    /// Sets a row's bit in one file's bits, which grow to hold it.
    static func set(row: Int, in fileBits: inout [UInt8]) {
        guard row >= 0 else { return }
        if fileBits.count <= row / 8 { fileBits.append(contentsOf: repeatElement(0, count: row / 8 + 1 - fileBits.count)) }
        fileBits[row / 8] |= 1 << UInt8(row % 8)
    }

    mutating func set(file: String, bits fileBits: [UInt8]) { bits[file] = fileBits }

    public func contains(file: String, row: Int) -> Bool {
        guard row >= 0, let b = bits[file], row / 8 < b.count else { return false }
        return b[row / 8] & (1 << UInt8(row % 8)) != 0
    }

    /// The first and last row of a file, for messages.
    public func range(of file: String) -> ClosedRange<Int>? {
        guard let b = bits[file] else { return nil }
        let rows = (0..<(b.count * 8)).filter { (r: Int) -> Bool in b[r / 8] & (1 << UInt8(r % 8)) != 0 }
        guard let first = rows.first, let last = rows.last else { return nil }
        return first...last
    }

    init(bits: [String: [UInt8]]) { self.bits = bits }
}

extension LinkageState {
    static let decisionTables = """
        CREATE TABLE IF NOT EXISTS decision (
            source_file_a TEXT NOT NULL, source_row_a INTEGER NOT NULL, source_file_b TEXT NOT NULL, source_row_b INTEGER NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('match', 'non-match')), decided_by TEXT NOT NULL, decided_at TEXT NOT NULL, note TEXT NOT NULL,
            PRIMARY KEY (source_file_a, source_row_a, source_file_b, source_row_b)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS decision_log (
            source_file_a TEXT NOT NULL, source_row_a INTEGER NOT NULL, source_file_b TEXT NOT NULL, source_row_b INTEGER NOT NULL,
            decision TEXT NOT NULL, decided_by TEXT NOT NULL, decided_at TEXT NOT NULL, note TEXT NOT NULL);
        CREATE TRIGGER IF NOT EXISTS decision_log_append_only BEFORE UPDATE ON decision_log BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS decision_log_keep BEFORE DELETE ON decision_log BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
        CREATE TABLE IF NOT EXISTS linked_rows (source_file TEXT PRIMARY KEY, rows BLOB NOT NULL) WITHOUT ROWID;
        """

    /// The decisions in force (the latest for each pair), in pair order.
    public func decisions() throws(SQLiteError) -> [ClericalDecision] {
        var out: [ClericalDecision] = []
        try db.prepare("""
            SELECT source_file_a, source_row_a, source_file_b, source_row_b, decision, decided_by, decided_at, note
            FROM decision ORDER BY source_file_a, source_row_a, source_file_b, source_row_b
            """).forEachRow { r in
            out.append(ClericalDecision(fileA: r.text(0), rowA: r.int(1), fileB: r.text(2), rowB: r.int(3),
                                        verdict: ClericalDecision.Verdict(rawValue: r.text(4)) ?? .nonMatch,
                                        decidedBy: r.text(5), decidedAt: r.text(6), note: r.text(7)))
        }
        return out
    }

    /// Records decisions in one transaction: each replaces any earlier
    /// decision on its pair, and every one is appended to the log.
    public func record(_ decisions: [ClericalDecision]) throws(SQLiteError) {
        try db.transaction { () throws(SQLiteError) in
            let current = try db.prepare("INSERT OR REPLACE INTO decision VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            let log = try db.prepare("INSERT INTO decision_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            for d in decisions {
                for s in [current, log] {
                    s.bind(1, d.fileA); s.bind(2, d.rowA); s.bind(3, d.fileB); s.bind(4, d.rowB)
                    s.bind(5, d.verdict.rawValue); s.bind(6, d.decidedBy); s.bind(7, d.decidedAt); s.bind(8, d.note)
                    try s.run()
                }
            }
        }
    }

    /// The decisions in force as one line of text ("" when there are none or
    /// no state): read without loading the state's members.
    public static func decisionsFingerprint(path: String) -> String {
        guard fileExists(path), let db = try? SQLiteDatabase(path: path) else { return "" }
        var text = ""
        try? db.prepare("SELECT source_file_a, source_row_a, source_file_b, source_row_b, decision, decided_at FROM decision ORDER BY 1, 2, 3, 4")
            .forEachRow { r in text += "\(r.text(0))|\(r.int(1))|\(r.text(2))|\(r.int(3))|\(r.text(4))|\(r.text(5));" }
        return text
    }

    /// The rows the last night linked, by file.
    public func linkedRows() throws(SQLiteError) -> LinkedRows {
        var bits: [String: [UInt8]] = [:]
        try db.prepare("SELECT source_file, rows FROM linked_rows").forEachRow { bits[$0.text(0)] = $0.blob(1) }
        return LinkedRows(bits: bits)
    }

    func saveLinkedRows(_ rows: LinkedRows) throws(SQLiteError) {
        try db.execute("DELETE FROM linked_rows")
        let s = try db.prepare("INSERT INTO linked_rows VALUES (?1, ?2)")
        for file in rows.bits.keys.sorted() { s.bind(1, file); s.bind(2, blob: rows.bits[file]!); try s.run() }
    }
}
