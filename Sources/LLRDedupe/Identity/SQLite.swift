import CSQLite

public struct SQLiteError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A thin wrapper over the SQLite C API: open, run statements, prepared
/// statements with text and integer binds. Enough for the linkage state and
/// the analyst database; no ORM.
public final class SQLiteDatabase {
    let handle: OpaquePointer
    public let path: String

    /// Set once, before the first connection: no memory statistics (see shim.h).
    private static let configured: Int32 = llr_sqlite_without_memory_statistics()

    /// A connection is used by one thread at a time (it is handed from one
    /// to another, never shared), so SQLite need not lock it on every call:
    /// millions of binds and steps a night.
    /// `readOnly` opens a file that must exist, to look before writing.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        _ = SQLiteDatabase.configured
        var db: OpaquePointer?
        let mode = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        let rc = sqlite3_open_v2(path, &db, mode | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            if let db { sqlite3_close(db) }
            throw SQLiteError(description: "cannot open \(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(handle) }

    public func execute(_ sql: String) throws(SQLiteError) {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw SQLiteError(description: "\(path): \(message) in: \(sql.prefix(80))")
        }
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw SQLiteError(description: "\(path): \(String(cString: sqlite3_errmsg(handle))) in: \(sql.prefix(80))")
        }
        return SQLiteStatement(stmt, db: self)
    }

    /// Runs `body` in one transaction: all of it or none of it.
    public func transaction(_ body: () throws(SQLiteError) -> Void) throws(SQLiteError) {
        try execute("BEGIN IMMEDIATE")
        do { try body() } catch {
            try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
private let SQLITE_STATIC = unsafeBitCast(0, to: sqlite3_destructor_type.self)

public final class SQLiteStatement {
    let stmt: OpaquePointer
    unowned let db: SQLiteDatabase

    init(_ stmt: OpaquePointer, db: SQLiteDatabase) { self.stmt = stmt; self.db = db }
    deinit { sqlite3_finalize(stmt) }

    public func bind(_ index: Int32, _ text: String) { sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT) }
    public func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(stmt, index, sqlite3_int64(value)) }
    public func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(stmt, index, value) }
    public func bindNull(_ index: Int32) { sqlite3_bind_null(stmt, index) }
    /// Binds UTF-8 bytes (a CSV cell as read) without copying them: they
    /// must stay valid until the statement has run.
    public func bind(_ index: Int32, bytes: UnsafeBufferPointer<UInt8>) {
        if let base = bytes.baseAddress {
            _ = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { sqlite3_bind_text(stmt, index, $0, Int32(bytes.count), SQLITE_STATIC) }
        } else {
            sqlite3_bind_text(stmt, index, "", 0, SQLITE_TRANSIENT)
        }
    }
    public func bind(_ index: Int32, blob: [UInt8]) {
        blob.withUnsafeBytes { b in _ = sqlite3_bind_blob(stmt, index, b.baseAddress, Int32(b.count), SQLITE_TRANSIENT) }
    }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
    public func blob(_ column: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, column))
        guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Runs a statement that returns no rows, then resets it for reuse.
    /// `keepingBindings` is for bulk loads that bind every parameter of
    /// every row anyway: clearing them each time was a cost of its own.
    public func run(keepingBindings: Bool = false) throws(SQLiteError) {
        defer {
            sqlite3_reset(stmt)
            if !keepingBindings { sqlite3_clear_bindings(stmt) }
        }
        let rc = sqlite3_step(stmt)
        if rc != SQLITE_DONE && rc != SQLITE_ROW { throw SQLiteError(description: "\(db.path): \(db.lastError)") }
    }

    /// Steps through the rows; `row` reads columns with `text`/`int`.
    public func forEachRow(_ row: (SQLiteStatement) -> Void) throws(SQLiteError) {
        defer { sqlite3_reset(stmt) }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw SQLiteError(description: "\(db.path): \(db.lastError)") }
            row(self)
        }
    }

    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, column) else { return "" }
        return String(cString: p)
    }

    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(stmt, column)) }
}
