import LLRCore

/// What earlier nights decided, kept in SQLite so a child keeps their id:
/// which person id each source person (partner + own id, as a keyed hash,
/// never the id itself) belongs to, when each person id was first given,
/// and which ids were folded into another when new evidence joined them.
public final class LinkageState {
    let db: SQLiteDatabase
    /// member key → person id, as stored.
    public private(set) var members: [String: String] = [:]
    /// person id → run that created it.
    public private(set) var created: [String: Int] = [:]
    public private(set) var aliases: [String: String] = [:]
    public private(set) var run = 1

    public init(path: String) throws(SQLiteError) {
        if (fileSize(path) ?? 0) > 0 { try LinkageState.checkIsLinkageState(path) }
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS person (person_id TEXT PRIMARY KEY, created_run INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS person_member (member TEXT PRIMARY KEY, person_id TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS person_alias (alias TEXT PRIMARY KEY, person_id TEXT NOT NULL, run INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS run (run INTEGER PRIMARY KEY, records INTEGER NOT NULL, persons INTEGER NOT NULL);
            """ + LinkageState.decisionTables)
        try db.prepare("SELECT member, person_id FROM person_member").forEachRow { members[$0.text(0)] = $0.text(1) }
        try db.prepare("SELECT person_id, created_run FROM person").forEachRow { created[$0.text(0)] = $0.int(1) }
        try db.prepare("SELECT alias, person_id FROM person_alias").forEachRow { aliases[$0.text(0)] = $0.text(1) }
        try db.prepare("SELECT COALESCE(MAX(run), 0) + 1 FROM run").forEachRow { run = $0.int(0) }
    }

    /// An existing file is looked at before anything is written to it: a
    /// path that names another database (the merge's ledger, the analysts'
    /// SQLite) or no database at all is refused, not given the state's tables.
    static func checkIsLinkageState(_ path: String) throws(SQLiteError) {
        var tables = 0
        do {
            let db = try SQLiteDatabase(path: path, readOnly: true)
            try db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'person_member'").forEachRow { tables = $0.int(0) }
        } catch {
            throw SQLiteError(description: "\(path) is not a linkage state (not an SQLite database SQLite can read): give the state llr-merge keeps, STATE/linkage.sqlite")
        }
        if tables == 0 {
            throw SQLiteError(description: "\(path) is an SQLite database but not a linkage state (it has no person_member table): give the state llr-merge keeps, STATE/linkage.sqlite")
        }
    }

    /// The person id a source person had, following aliases to the id that survived.
    public func personId(ofMember member: String) -> String? {
        guard var id = members[member] else { return nil }
        while let survivor = aliases[id] { id = survivor }
        return id
    }

    /// Saves tonight's decisions in one transaction.
    /// `newMembers` pairs each source person (keyed hash) with tonight's person id.
    /// `linked`: tonight's person rows by file, which `decide` checks decisions against.
    public func save(members newMembers: [(String, String)], newPersons: [String], newAliases: [(String, String)], records: Int, persons: Int,
                     linked: LinkedRows = LinkedRows()) throws(SQLiteError) {
        // In key order, which the primary-key B-tree takes fastest; the keys are hex, so
        // their digits as numbers order them. Sorted as packed numbers: sorting
        // the (key, id) string pairs themselves retained and released strings on every move.
        // (A key of another shape goes first, keeping its order.)
        let keys = newMembers.map { hexOrderKey($0.0) ?? (0, 0) }
        let ordered = PackedOrder.indices(newMembers.count) { keys[$0] }
        try db.transaction { () throws(SQLiteError) in
            let m = try db.prepare("INSERT INTO person_member(member, person_id) VALUES(?1, ?2) ON CONFLICT(member) DO UPDATE SET person_id = excluded.person_id WHERE person_id <> excluded.person_id")
            for i in ordered {
                let (k, v) = newMembers[Int(i)]
                if members[k] == v { continue }
                m.bind(1, k); m.bind(2, v); try m.run()
            }
            let p = try db.prepare("INSERT OR IGNORE INTO person(person_id, created_run) VALUES(?1, ?2)")
            for id in newPersons.sorted() { p.bind(1, id); p.bind(2, run); try p.run() }
            let a = try db.prepare("INSERT OR REPLACE INTO person_alias(alias, person_id, run) VALUES(?1, ?2, ?3)")
            for (alias, id) in newAliases { a.bind(1, alias); a.bind(2, id); a.bind(3, run); try a.run() }
            // Aliases of an id that became an alias point at the survivor.
            let chase = try db.prepare("UPDATE person_alias SET person_id = ?2 WHERE person_id = ?1")
            for (alias, id) in newAliases { chase.bind(1, alias); chase.bind(2, id); try chase.run() }
            try saveLinkedRows(linked)
            let r = try db.prepare("INSERT INTO run(run, records, persons) VALUES(?1, ?2, ?3)")
            r.bind(1, run); r.bind(2, records); r.bind(3, persons); try r.run()
        }
        // The night's pages go from the write-ahead log into the file now, on
        // the thread saving, and the log is cut to nothing: otherwise the
        // connection's close did both, on the merge's own thread at the end
        // of deduplication, where deleting a log of tens of megabytes took
        // 0.1 s with both cores idle (the disk is mounted with discard, so
        // freeing a file's blocks waits for the device).
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}
