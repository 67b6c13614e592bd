import Foundation
import LLRCore
import PostgresNIO

/// What a night's load did.
public struct WarehouseLoadResult: Sendable {
    public var loaded: Bool
    public var tables = 0
    public var rows = 0
    public var seconds = 0.0
    public var message: String
}

extension Warehouse {
    /// Loads tonight's dataset folder into `*_load` schemas and swaps them
    /// in within one transaction, last night's kept as `*_previous`. The
    /// night is named by the dataset's run report; a night already loaded
    /// loads nothing unless `again`. On any failure last night's tables stand.
    public func load(dataset: String, again: Bool = false) async throws(WarehouseFailure) -> WarehouseLoadResult {
        let started = Date()
        let night = try nightOf(dataset)
        let c = try await connect()
        defer { Task { try? await c.close() } }
        if try await alreadyLoaded(night, on: c), !again {
            return WarehouseLoadResult(loaded: false, message: "the warehouse already holds this night (\(night)): nothing loaded")
        }
        try await run(layout.schemas.flatMap { s in ["DROP SCHEMA IF EXISTS \(s.name)_load CASCADE", "CREATE SCHEMA \(s.name)_load"] }, on: c)
        let rows = try await loadTables(dataset: dataset)
        try await run(viewsAndGrants(), on: c)
        try await swap(night: night, rows: rows, on: c)
        let seconds = Date().timeIntervalSince(started)
        return WarehouseLoadResult(loaded: true, tables: layout.tables.count, rows: rows, seconds: seconds,
                                   message: "loaded \(layout.tables.count) tables, \(rows) rows, in \(decimalText(seconds, places: 1)) s and swapped them in")
    }

    /// Every table, on `lanes` connections side by side (the server parses
    /// one COPY per connection on one core), largest files first.
    func loadTables(dataset: String, lanes: Int = 3) async throws(WarehouseFailure) -> Int {
        let tables = layout.tables.sorted { (fileSize(dataset + "/" + $0.file) ?? 0) > (fileSize(dataset + "/" + $1.file) ?? 0) }
        let next = Locked(0)
        do {
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<min(lanes, tables.count) {
                    group.addTask {
                        let c = try await self.connect()
                        defer { Task { try? await c.close() } }
                        var rows = 0
                        while true {
                            let i = next.update { n -> Int in n += 1; return n - 1 }
                            guard i < tables.count else { return rows }
                            rows += try await self.loadTable(tables[i], dataset: dataset, on: c)
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
        } catch let e as WarehouseFailure { throw e } catch { throw WarehouseFailure("loading the tables failed: \(explain(error))") }
    }

    /// The night a dataset folder holds: its run number and start, from run-report.json.
    func nightOf(_ dataset: String) throws(WarehouseFailure) -> String {
        guard let data = FileManager.default.contents(atPath: dataset + "/run-report.json"),
              let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let run = report["run"], let started = report["startedAt"] as? String else {
            throw WarehouseFailure("\(dataset)/run-report.json is missing or unreadable: give the folder llr-merge wrote")
        }
        return "run \(run), \(started)"
    }

    func alreadyLoaded(_ night: String, on c: PostgresConnection) async throws(WarehouseFailure) -> Bool {
        do {
            let rows = try await c.query("SELECT 1 FROM llr_warehouse.loads WHERE night = \(night)", logger: logger)
            for try await _ in rows { return true }
            return false
        } catch {
            throw WarehouseFailure("the warehouse at \(address.redacted) is not set up (\(explain(error))): run llr-merge warehouse-init once, as its owner")
        }
    }

    /// One file into its `*_load` table: typed columns, streamed with COPY, indexed.
    func loadTable(_ t: WarehouseTable, dataset: String, on c: PostgresConnection) async throws(WarehouseFailure) -> Int {
        let path = dataset + "/" + t.file
        let header = try CopyRows.header(of: path)
        for col in t.types.keys where !header.contains(col) {
            throw WarehouseFailure("warehouse.yaml gives a type for \(t.table).\(col), which \(t.file) does not have")
        }
        for col in header {
            do { try WarehouseLayout.identifier(col, file: t.file, line: 1) } catch { throw WarehouseFailure("\(t.file): column \(error.message)") }
        }
        let schema = t.schema + "_load"
        let columns = header.map { "\($0) \(t.types[$0] ?? "text")" }.joined(separator: ", ")
        try await run(["CREATE TABLE \(schema).\(t.table) (\(columns))", "SET search_path TO \(schema)"], on: c)
        let rows = CopyRows(path: path)
        rows.start(nullable: header.map { (t.types[$0] ?? "text") != "text" })
        let started = Date()
        do {
            try await c.copyFrom(table: t.table, columns: header, logger: logger) { writer in
                for await chunk in rows.chunks {
                    try await writer.write(ByteBuffer(bytes: try chunk.get()))
                    rows.taken()
                }
            }
        } catch {
            rows.stop()
            throw WarehouseFailure("loading \(t.file) into \(t.schema).\(t.table) failed: \((error as? WarehouseFailure)?.description ?? explain(error))")
        }
        let copied = Date()
        // Statistics are left to autovacuum: ANALYZE here cost a second a night at 1M rows.
        try await run(t.index.map { "CREATE INDEX ON \(schema).\(t.table) (\($0))" } + ["SET search_path TO DEFAULT"], on: c)
        logger.info("warehouse: \(t.schema).\(t.table): \(rows.rowCount) rows copied in \(decimalText(copied.timeIntervalSince(started), places: 2)) s, indexed in \(decimalText(Date().timeIntervalSince(copied), places: 2)) s")
        return rows.rowCount
    }

    /// The views (their SQL names the final schemas; they are made on the
    /// load tables) and each schema's readers' grants.
    func viewsAndGrants() -> [String] {
        var sql: [String] = []
        for v in layout.views {
            var body = v.sql
            for s in layout.schemas { body = body.replacingOccurrences(of: "\(s.name).", with: "\(s.name)_load.") }
            sql.append("CREATE VIEW \(v.schema)_load.\(v.name) AS \(body)")
        }
        for (schema, readers) in layout.schemas { sql += readerGrants(schema + "_load", readers, tables: true) }
        return sql
    }

    /// Tonight's schemas in, last night's kept as `*_previous`, in one
    /// transaction: a reader sees last night's tables or tonight's, never a
    /// mixture. A query holding a table makes the swap wait at most
    /// `swapLockTimeoutSeconds`; then it gives up and the next night retries.
    func swap(night: String, rows: Int, on c: PostgresConnection) async throws(WarehouseFailure) {
        var sql = ["BEGIN", "SET LOCAL lock_timeout = '\(layout.swapLockTimeoutSeconds)s'"]
        for s in layout.schemas.map(\.name) {
            sql += ["DROP SCHEMA IF EXISTS \(s)_previous CASCADE", "ALTER SCHEMA \(s) RENAME TO \(s)_previous", "ALTER SCHEMA \(s)_load RENAME TO \(s)"]
        }
        sql.append("INSERT INTO llr_warehouse.loads (night, tables, rows) VALUES ('\(night.replacingOccurrences(of: "'", with: "''"))', \(layout.tables.count), \(rows)) "
                   + "ON CONFLICT (night) DO UPDATE SET loaded_at = now(), tables = EXCLUDED.tables, rows = EXCLUDED.rows")
        do { try await run(sql + ["COMMIT"], on: c) } catch {
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw WarehouseFailure("the swap gave up, and last night's tables stand: \(error.description). The next night tries again")
        }
    }
}
