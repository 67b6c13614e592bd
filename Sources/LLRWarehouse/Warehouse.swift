import Foundation
import LLRCore
import Logging
import NIOSSL
import PostgresNIO

/// The analysts' warehouse: PostgreSQL, reached at `address`, laid out as
/// `Pipelines/warehouse.yaml` says.
public struct Warehouse: Sendable {
    public let address: WarehouseAddress
    public let layout: WarehouseLayout
    let logger: Logger

    public init(address: WarehouseAddress, layout: WarehouseLayout, logger: Logger = Logger(label: "llr-warehouse")) {
        self.address = address; self.layout = layout; self.logger = logger
    }

    /// A connection, with what went wrong in words (never the password).
    func connect() async throws(WarehouseFailure) -> PostgresConnection {
        do {
            let tls: PostgresConnection.Configuration.TLS = address.tls ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
            let config = PostgresConnection.Configuration(host: address.host, port: address.port, username: address.user, password: address.password,
                                                          database: address.database, tls: tls)
            return try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
        } catch {
            throw WarehouseFailure("cannot connect to the warehouse at \(address.redacted): \(explain(error))")
        }
    }

    /// Runs statements one after another.
    func run(_ sql: [String], on c: PostgresConnection) async throws(WarehouseFailure) {
        for s in sql {
            do { _ = try await c.query(PostgresQuery(unsafeSQL: s), logger: logger) } catch {
                throw WarehouseFailure("the warehouse refused \(s.prefix(80))…: \(explain(error))")
            }
        }
    }

    /// `warehouse-init`: the schemas, the bookkeeping table and the group
    /// roles, each made only when missing; the grants on each schema. Run
    /// again, it changes nothing.
    public func initialise() async throws(WarehouseFailure) {
        let c = try await connect()
        defer { Task { try? await c.close() } }
        var sql = ["CREATE SCHEMA IF NOT EXISTS llr_warehouse",
                   "CREATE TABLE IF NOT EXISTS llr_warehouse.loads (night text PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now(), tables integer NOT NULL, rows bigint NOT NULL)",
                   "REVOKE ALL ON SCHEMA llr_warehouse FROM PUBLIC"]
        for role in layout.roles {
            sql.append("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(role)') THEN CREATE ROLE \(role) NOLOGIN; END IF; END $$")
        }
        for (schema, readers) in layout.schemas { sql += ["CREATE SCHEMA IF NOT EXISTS \(schema)"] + readerGrants(schema, readers) }
        try await run(sql, on: c)
    }
}

/// A schema's grants: none to the public, usage to its readers, and with
/// `tables`, reading every table in it.
func readerGrants(_ schema: String, _ readers: [String], tables: Bool = false) -> [String] {
    ["REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC"] + readers.flatMap { r in
        ["GRANT USAGE ON SCHEMA \(schema) TO \(r)"] + (tables ? ["GRANT SELECT ON ALL TABLES IN SCHEMA \(schema) TO \(r)"] : [])
    }
}

/// A driver error in words a business unit can act on.
func explain(_ error: any Error) -> String {
    if let p = error as? PSQLError {
        if let message = p.serverInfo?[.message] { return message + (p.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "") }
        return "\(p.code)"
    }
    return "\(error)"
}
