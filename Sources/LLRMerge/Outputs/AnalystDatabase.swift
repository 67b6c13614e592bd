import LLRCore
import LLRDedupe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `llr.sqlite`: the dataset's tables in one file analysts' tools open,
/// with indexes on the ids and the quarter × LA columns, and views for the
/// questions asked most. Built in a fresh file (no journal: it is renamed
/// into place only when complete), so the same tables give the same bytes.
public enum AnalystDatabase {
    /// Columns stored as integers; every other column is text.
    static let integerColumns: Set<String> = [
        "source_row", "source_row_a", "source_row_b", "age_at_event", "source_records", "source_ids", "events", "children",
        "children_repeat", "population", "version", "rows_read", "rows_rejected", "errors", "warnings", "duplicates_removed",
    ]
    static let realColumns: Set<String> = ["match_weight", "rate_per_10000", "field_completeness_pct"]

    static let indexes = """
        CREATE INDEX events_person ON events(llr_person_id);
        CREATE INDEX events_period_la ON events(financial_year, quarter, la_code, event_type);
        CREATE INDEX lineage_source ON lineage(source_file, source_row);
        CREATE INDEX lineage_event ON lineage(llr_event_id);
        CREATE INDEX lineage_person ON lineage(llr_person_id);
        CREATE INDEX links_person ON links(llr_person_id);
        CREATE UNIQUE INDEX persons_id ON persons(llr_person_id);
        """

    static let views = """
        CREATE VIEW events_by_quarter_la AS
            SELECT financial_year, quarter, la_code, la_name, event_type,
                   COUNT(*) AS events, COUNT(DISTINCT llr_person_id) AS children
            FROM events GROUP BY financial_year, quarter, la_code, la_name, event_type;
        CREATE VIEW children_by_agencies AS
            SELECT (LENGTH(partners) - LENGTH(REPLACE(partners, ';', '')) + 1) AS agencies, COUNT(*) AS children
            FROM persons GROUP BY agencies;
        CREATE VIEW returns_by_status AS
            SELECT financial_year, quarter, return_status, COUNT(*) AS returns
            FROM quality GROUP BY financial_year, quarter, return_status;
        """

    /// A table from a CSV(.gz) the merge wrote; the header names the columns.
    public static func load(_ db: SQLiteDatabase, table: String, csv path: String) throws(MergeFailure) {
        var insert: SQLiteStatement?
        var types: [Int] = []  // 0 text, 1 integer, 2 real
        var failure: String?
        let problem = CSVFileRows.read(path: path, header: { header in
            let columns = header.map { name -> String in
                let type = integerColumns.contains(name) ? "INTEGER" : realColumns.contains(name) ? "REAL" : "TEXT"
                return "\"\(name)\" \(type)"
            }
            types = header.map { integerColumns.contains($0) ? 1 : realColumns.contains($0) ? 2 : 0 }
            do {
                try db.execute("CREATE TABLE \"\(table)\" (\(columns.joined(separator: ", ")))")
                insert = try db.prepare("INSERT INTO \"\(table)\" VALUES (\(header.indices.map { "?\($0 + 1)" }.joined(separator: ",")))")
            } catch { failure = "\(error)" }
        }) { row in
            guard let insert, failure == nil else { return }
            for (i, type) in types.enumerated() {
                let cell = i < row.storedCount ? row.cell(i) : UnsafeBufferPointer(start: nil, count: 0)
                let column = Int32(i + 1)
                if cell.count == 0 { insert.bindNull(column); continue }
                switch type {
                case 1:
                    if let v = parseInteger(cell) { insert.bind(column, Int(v)) } else { insert.bind(column, bytes: cell) }
                case 2:
                    if let v = Double(String(decoding: cell, as: UTF8.self)) { insert.bind(column, v) } else { insert.bind(column, bytes: cell) }
                default:
                    insert.bind(column, bytes: cell)
                }
            }
            do { try insert.run() } catch { failure = "\(error)" }
        }
        if let problem { throw MergeFailure("cannot load \(table) into llr.sqlite: \(problem)") }
        if let failure { throw MergeFailure("cannot load \(table) into llr.sqlite: \(failure)") }
        if insert == nil { throw MergeFailure("cannot load \(table) into llr.sqlite: \(path) has no header") }
    }

    /// Builds `path` from the named CSV tables, then adds indexes and views.
    public static func build(path: String, tables: [(name: String, csv: String)]) throws(MergeFailure) {
        let temp = path + ".tmp-\(getpid())"
        unlink(temp)
        do {
            let db = try SQLiteDatabase(path: temp)
            try db.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;")
            try db.execute("BEGIN")
            for t in tables { try load(db, table: t.name, csv: t.csv) }
            try db.execute(indexes)
            try db.execute(views)
            try db.execute("COMMIT")
        } catch let e as MergeFailure {
            unlink(temp); throw e
        } catch {
            unlink(temp); throw MergeFailure("llr.sqlite: \(error)")
        }
        if rename(temp, path) != 0 { unlink(temp); throw MergeFailure("cannot put llr.sqlite in place: \(String(cString: strerror(errno)))") }
    }
}
