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
public final class AnalystDatabase: @unchecked Sendable {
    /// Columns stored as integers; every other column is text.
    static let integerColumns: Set<String> = [
        "source_row", "source_row_a", "source_row_b", "age_at_event", "source_records", "source_ids", "events", "children",
        "children_repeat", "population", "version", "rows_read", "rows_rejected", "errors", "warnings", "duplicates_removed",
        "numerator", "denominator",
    ]
    static let realColumns: Set<String> = ["match_weight", "rate_per_10000", "field_completeness_pct", "value", "previous_value"]

    /// Indexes on the ids, by table. Each table's rows come in the order of
    /// its index (events, links and persons are written in person-id order),
    /// so SQLite's sort for it runs over sorted keys, several times faster.
    static let indexes = [
        "events": "CREATE INDEX events_person ON events(llr_person_id)",
        "persons": "CREATE UNIQUE INDEX persons_id ON persons(llr_person_id)",
    ]

    /// The lineage's tables, made alike in the side file it is built in and
    /// in llr.sqlite, so SQLite copies it across record by record without
    /// decoding or sorting it again. It is keyed by source file and row, the
    /// order it is written in. It has no index on event ids: the rows come in
    /// no order of theirs, and SQLite's sort for one cost a second of CPU per
    /// million rows every night (a third of the lineage's time), where finding
    /// one event's rows by scanning takes 0.15 s at a million rows. The file
    /// names' index lets the `lineage` view find a file's row by its key
    /// (without it, SQLite scanned every lineage row for one).
    static let lineageTables = """
        CREATE TABLE source_files (file_id INTEGER PRIMARY KEY, source_file TEXT NOT NULL, partner TEXT NOT NULL);
        CREATE UNIQUE INDEX source_files_name ON source_files(source_file);
        CREATE TABLE lineage_rows (file_id INTEGER NOT NULL, source_row INTEGER NOT NULL, status TEXT NOT NULL,
            llr_event_id TEXT, llr_person_id TEXT, PRIMARY KEY (file_id, source_row)) WITHOUT ROWID;
        """

    /// The links name two source rows each: like the lineage, by the
    /// number `source_files` gives each file (the two tables' numbers agree:
    /// both come from the dedupe's list of the lineage's files), so a link
    /// holds no file names; the `links` view gives back the spec's columns.
    /// Half the bytes of a table of names, and so half the writing and copying.
    static let linkTables = """
        CREATE TABLE link_rows (llr_person_id TEXT NOT NULL, file_a INTEGER NOT NULL, source_row_a INTEGER NOT NULL,
            file_b INTEGER NOT NULL, source_row_b INTEGER NOT NULL, rule TEXT NOT NULL, match_weight REAL);
        """
    static let linkIndex = "CREATE INDEX links_person ON link_rows(llr_person_id)"

    static let views = """
        CREATE VIEW links AS
            SELECT l.llr_person_id, fa.source_file AS source_file_a, l.source_row_a,
                   fb.source_file AS source_file_b, l.source_row_b, l.rule, l.match_weight
            FROM link_rows l JOIN source_files fa ON fa.file_id = l.file_a JOIN source_files fb ON fb.file_id = l.file_b;
        CREATE VIEW lineage AS
            SELECT f.source_file, l.source_row, f.partner, l.status, l.llr_event_id, l.llr_person_id
            FROM lineage_rows l JOIN source_files f ON f.file_id = l.file_id;
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

    /// How llr.sqlite and its side files are written: no journal and no
    /// syncs (a file is renamed into place, or copied in, only when whole),
    /// one page size for all, which SQLite's transfer of a table from a side
    /// file needs to copy its pages' records without decoding them. The
    /// index sorts' runs are kept in memory, not in temporary files (37 MB
    /// written and read back at 1M rows; the llr.sqlite task 1.20 -> 0.95 s).
    static func bulkLoadSettings(cacheKiB: Int) -> String {
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=65536; PRAGMA cache_size=-\(cacheKiB); PRAGMA temp_store=MEMORY; "
    }

    /// A table from a CSV(.gz) the merge wrote; the header names the columns.
    static func loadTable(_ db: SQLiteDatabase, table: String, csv path: String, readAhead: Bool) throws(MergeFailure) {
        var loader = TableLoader()
        let problem = CSVFileRows.read(path: path, readAhead: readAhead, header: { header in
            let columns = header.map { name -> String in
                let type = integerColumns.contains(name) ? "INTEGER" : realColumns.contains(name) ? "REAL" : "TEXT"
                return "\"\(name)\" \(type)"
            }
            do {
                try db.execute("CREATE TABLE \"\(table)\" (\(columns.joined(separator: ", ")))")
                let insert = try db.prepare("INSERT INTO \"\(table)\" VALUES (\(header.indices.map { "?\($0 + 1)" }.joined(separator: ",")))")
                loader.start(insert, types: header.map { integerColumns.contains($0) ? 1 : realColumns.contains($0) ? 2 : 0 })
            } catch { loader.failure = "\(error)" }
        }) { loader.add($0) }
        if let problem { throw MergeFailure("cannot load \(table) into llr.sqlite: \(problem)") }
        if let failure = loader.failure { throw MergeFailure("cannot load \(table) into llr.sqlite: \(failure)") }
        if !loader.started { throw MergeFailure("cannot load \(table) into llr.sqlite: \(path) has no header") }
    }

    /// The lineage, a million rows a night at scale, is stored once per file
    /// name: `source_files` (file_id, source_file, partner), numbered in the
    /// order of `files`, and `lineage_rows` keyed by (file_id, source_row) in
    /// the order written, so the key needs no separate index; the `lineage`
    /// view gives back the spec's columns.
    static func loadLineage(_ db: SQLiteDatabase, csv path: String, files: [LineageFile], readAhead: Bool) throws(MergeFailure) {
        do {
            try db.execute(lineageTables)
            let file = try db.prepare("INSERT INTO source_files VALUES (?1, ?2, ?3)")
            for (i, f) in files.enumerated() {
                file.bind(1, i + 1); file.bind(2, f.sourceFile); file.bind(3, f.partner)
                try file.run()
            }
        } catch { throw MergeFailure("cannot create the lineage tables in llr.sqlite: \(error.description)") }
        try loadNumbered(db, what: "lineage", csv: path, insert: "INSERT INTO lineage_rows VALUES (?1, ?2, ?3, ?4, ?5)",
                         needed: ["source_file", "source_row", "status", "llr_event_id", "llr_person_id"], files: files, readAhead: readAhead) { row, r, c, files in
            guard let file = files.number(r.cell(c[0])) else { return "names \(displayString(r.cell(c[0]))), which is not among the lineage's files" }
            row.bind(1, file)
            bindInteger(row, 2, r.cell(c[1]))
            row.bind(3, bytes: r.cell(c[2]))
            bindTextOrNull(row, 4, r.cell(c[3]))
            bindTextOrNull(row, 5, r.cell(c[4]))
            return nil
        }
    }

    /// The links into `link_rows`, their files by the numbers of `files`.
    static func loadLinks(_ db: SQLiteDatabase, csv path: String, files: [LineageFile], readAhead: Bool) throws(MergeFailure) {
        do { try db.execute(linkTables) } catch { throw MergeFailure("cannot create the links table in llr.sqlite: \(error.description)") }
        try loadNumbered(db, what: "links", csv: path, insert: "INSERT INTO link_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         needed: ["llr_person_id", "source_file_a", "source_row_a", "source_file_b", "source_row_b", "rule", "match_weight"],
                         files: files, readAhead: readAhead) { row, r, c, files in
            guard let a = files.number(r.cell(c[1])), let b = files.number(r.cell(c[3])) else { return "names a file that is not among the lineage's files" }
            row.bind(1, bytes: r.cell(c[0]))
            row.bind(2, a)
            bindInteger(row, 3, r.cell(c[2]))
            row.bind(4, b)
            bindInteger(row, 5, r.cell(c[4]))
            row.bind(6, bytes: r.cell(c[5]))
            if r.cell(c[6]).count > 0 { bindDecimal(row, 7, r.cell(c[6])) } else { row.bindNull(7) }
            return nil
        }
        do { try db.execute(linkIndex) } catch { throw MergeFailure("cannot index the links in llr.sqlite: \(error.description)") }
    }

    /// Rows that name source files, inserted with each file as its number:
    /// `bind` binds one row's `needed` cells (found once, by the header) or
    /// says what is wrong with it.
    static func loadNumbered(_ db: SQLiteDatabase, what: String, csv path: String, insert: String, needed: [String], files: [LineageFile],
                             readAhead: Bool,
                             bind: @escaping (SQLiteStatement, RecordView, [Int], inout FileNumbers) -> String?) throws(MergeFailure) {
        let row: SQLiteStatement
        do { row = try db.prepare(insert) } catch { throw MergeFailure("cannot load the \(what) into llr.sqlite: \(error.description)") }
        var numbers = FileNumbers(files)
        var columns: [Int] = [], lastColumn = Int.max
        var failure: String?
        let problem = CSVFileRows.read(path: path, readAhead: readAhead, header: {
            columns = CSVFileRows.columns($0, needed)
            lastColumn = CSVFileRows.lastColumn(columns)
        }) { r in
            guard failure == nil else { return }
            guard r.storedCount > lastColumn else { failure = "row \(r.rowNumber) lacks \(what) columns"; return }
            if let p = bind(row, r, columns, &numbers) { failure = "row \(r.rowNumber) " + p; return }
            do throws(SQLiteError) { try row.run(keepingBindings: true) } catch { failure = error.description }
        }
        if let problem { throw MergeFailure("cannot load the \(what) into llr.sqlite: \(problem)") }
        if let failure { throw MergeFailure("cannot load the \(what) into llr.sqlite: \(failure)") }
    }

    let path: String
    let temp: String
    let db: SQLiteDatabase
    /// Whether tables are inflated on a second worker while SQLite inserts.
    let readAhead: Bool

    /// Starts the database under a temporary name, in one transaction.
    /// SQLite sorts for the indexes on this thread alone: the side files keep
    /// the other workers busy meanwhile, and a sorter thread of its own made
    /// the whole last stage slower at 1M rows (1.87 -> 1.66 s without it,
    /// means of four in turns) and no faster at 10M (23.9 -> 23.4 s). When
    /// the side files were built after the main tables, it had helped.
    public init(path: String, jobs: Int = 1) throws(MergeFailure) {
        self.path = path
        readAhead = jobs > 1
        temp = path + ".tmp-\(getpid())"
        unlink(temp)
        do {
            db = try SQLiteDatabase(path: temp)
            try db.execute(AnalystDatabase.bulkLoadSettings(cacheKiB: 262_144) + "BEGIN")
        } catch { unlink(temp); throw MergeFailure("llr.sqlite: \(error.description)") }
    }

    deinit { unlink(temp) }

    /// A table from a CSV(.gz) the merge wrote.
    public func load(table: String, csv: String) throws(MergeFailure) {
        try AnalystDatabase.loadTable(db, table: table, csv: csv, readAhead: readAhead)
    }

    /// The lineage's tables or the links (`side`) built in a side file of
    /// their own, on another worker while llr.sqlite loads the rest (the
    /// lineage is the biggest table: a row per source row); `copySide` then
    /// brings them in.
    public static func buildSide(sidePath: String, side: SideContent, csv: String, files: [LineageFile], jobs: Int) throws(MergeFailure) {
        unlink(sidePath)
        do {
            let db = try SQLiteDatabase(path: sidePath)
            try db.execute(bulkLoadSettings(cacheKiB: 16_384) + "BEGIN")
            switch side {
            case .lineage: try loadLineage(db, csv: csv, files: files, readAhead: jobs > 1)
            case .links: try loadLinks(db, csv: csv, files: files, readAhead: jobs > 1)
            }
            try db.execute("COMMIT")
        } catch let e as MergeFailure {
            unlink(sidePath); throw e
        } catch {
            unlink(sidePath); throw MergeFailure("llr.sqlite (side tables): \(error)")
        }
    }

    public enum SideContent: Sendable { case lineage, links }

    /// Copies in every table `buildSide` made, as SQLite transfers a whole
    /// table into an empty one of the same shape (records and indexes in
    /// order, nothing decoded or sorted again), and removes the side file.
    public func copySide(sidePath: String) throws(MergeFailure) {
        defer { unlink(sidePath) }
        do {
            // ATTACH is refused inside a transaction: the load so far is committed first.
            try db.execute("COMMIT")
            let attach = try db.prepare("ATTACH DATABASE ?1 AS side")
            attach.bind(1, sidePath)
            try attach.run()
            // The side's tables and indexes made alike here, in the order they were made there.
            var schema: [(type: String, name: String, sql: String)] = []
            try db.prepare("SELECT type, name, sql FROM side.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid").forEachRow {
                schema.append(($0.text(0), $0.text(1), $0.text(2)))
            }
            try db.execute("BEGIN")
            for entry in schema { try db.execute(entry.sql) }
            for entry in schema where entry.type == "table" {
                try db.execute("INSERT INTO main.\"\(entry.name)\" SELECT * FROM side.\"\(entry.name)\"")
            }
            try db.execute("COMMIT; DETACH DATABASE side; BEGIN")
        } catch { throw MergeFailure("llr.sqlite: cannot copy in the side tables: \(error.description)") }
        // The big tables are in the file: their writing to disk starts now,
        // not at the merge's commit point.
        OutputDurability.startWriteback(temp)
    }

    /// The indexes on the id columns of the tables loaded here (after their
    /// rows are in: building an index once is cheaper than keeping it while inserting).
    public func index(_ tables: [String]) throws(MergeFailure) {
        // A small page cache for the sorts: SQLite then sorts the keys in
        // runs that fit the CPU's caches and merges them; a cache holding every key sorted them in one slower pass
        // (about 15% of the index time at 1M rows).
        do {
            try db.execute("PRAGMA cache_size=-16384")
            for table in tables { if let index = AnalystDatabase.indexes[table] { try db.execute(index) } }
        } catch { throw MergeFailure("llr.sqlite: \(error.description)") }
    }

    /// Views, commit, and the rename into place.
    public func finish() throws(MergeFailure) {
        do {
            try db.execute(AnalystDatabase.views)
            try db.execute("COMMIT")
        } catch { throw MergeFailure("llr.sqlite: \(error.description)") }
        if rename(temp, path) != 0 { throw MergeFailure("cannot put llr.sqlite in place: \(String(cString: strerror(errno)))") }
    }
}

/// The numbers llr.sqlite gives source files (1, 2, … in the order of the
/// lineage's files), looked up by name without building a String or an
/// array per row: by the name's hash, then its bytes. The lineage comes
/// grouped by file, so the file of the row before is tried first.
struct FileNumbers {
    private let names: [[UInt8]]
    private let byHash: [UInt64: [Int]]
    private var last = -1

    init(_ files: [LineageFile]) {
        names = files.map { Array($0.sourceFile.utf8) }
        var byHash: [UInt64: [Int]] = [:]
        for (i, name) in names.enumerated() { byHash[name.withUnsafeBytes { hashBytes($0.baseAddress, $0.count) }, default: []].append(i) }
        self.byHash = byHash
    }

    mutating func number(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        if last >= 0 && name.equals(names[last]) { return last + 1 }
        guard let candidates = byHash[hashBytes(UnsafeRawPointer(name.baseAddress), name.count)],
              let i = candidates.first(where: { name.equals(names[$0]) }) else { return nil }
        last = i
        return i + 1
    }
}

/// A cell as an integer, or as its text when it is not one.
@inline(__always) func bindInteger(_ s: SQLiteStatement, _ column: Int32, _ cell: UnsafeBufferPointer<UInt8>) {
    if let v = parseInteger(cell) { s.bind(column, Int(v)) } else { s.bind(column, bytes: cell) }
}

/// A cell as a real number, or as its text when it is not one.
@inline(__always) func bindDecimal(_ s: SQLiteStatement, _ column: Int32, _ cell: UnsafeBufferPointer<UInt8>) {
    if let v = parseDecimal(cell) { s.bind(column, v) } else { s.bind(column, bytes: cell) }
}

/// A cell as text, or NULL when it is empty.
@inline(__always) func bindTextOrNull(_ s: SQLiteStatement, _ column: Int32, _ cell: UnsafeBufferPointer<UInt8>) {
    if cell.count > 0 { s.bind(column, bytes: cell) } else { s.bindNull(column) }
}

/// Puts a table's rows into SQLite, each cell bound as its column's type
/// (0 text, 1 integer, 2 real; an empty cell as NULL); one call per row.
struct TableLoader {
    private var insert: SQLiteStatement?
    private var types: [Int] = []
    var failure: String?
    var started: Bool { insert != nil }

    mutating func start(_ insert: SQLiteStatement, types: [Int]) {
        self.insert = insert
        self.types = types
    }

    mutating func add(_ row: RecordView) {
        guard let insert, failure == nil else { return }
        types.withUnsafeBufferPointer { types in
            for i in 0..<types.count {
                let cell = i < row.storedCount ? row.cell(i) : UnsafeBufferPointer(start: nil, count: 0)
                let column = Int32(i + 1)
                if cell.count == 0 { insert.bindNull(column); continue }
                switch types[i] {
                case 1: bindInteger(insert, column, cell)
                case 2: bindDecimal(insert, column, cell)
                default:
                    insert.bind(column, bytes: cell)
                }
            }
        }
        do throws(SQLiteError) { try insert.run(keepingBindings: true) } catch { failure = error.description }
    }
}
