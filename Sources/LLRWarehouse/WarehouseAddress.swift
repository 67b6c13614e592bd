import Foundation
import LLRCore

/// Where the warehouse is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]`.
/// The password comes from the URL, else `PGPASSWORD`, else a `.pgpass`
/// file (`PGPASSFILE`, or `~/.pgpass`); it is never printed: `redacted`
/// is what messages show.
public struct WarehouseAddress: Sendable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: Bool

    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)\(tls ? "?sslmode=require" : "")" }

    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(WarehouseFailure) {
        guard let u = URLComponents(string: url), ["postgres", "postgresql"].contains(u.scheme ?? ""), let host = u.host, !host.isEmpty else {
            throw WarehouseFailure("the warehouse address must look like postgres://USER@HOST:5432/DATABASE")
        }
        self.host = host
        port = u.port ?? 5432
        user = u.user ?? environment["PGUSER"] ?? "postgres"
        database = String(u.path.drop { $0 == "/" })
        if database.isEmpty { database = user }
        let mode = u.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "prefer", "require", "verify-full"].contains(mode) else { throw WarehouseFailure("sslmode must be disable, require or verify-full, not \(mode)") }
        tls = mode == "require" || mode == "verify-full"
        password = u.password?.removingPercentEncoding ?? environment["PGPASSWORD"] ?? WarehouseAddress.fromPassFile(environment, host: host, port: port, database: database, user: user)
    }

    /// The first line of the password file that matches (`*` matches anything).
    static func fromPassFile(_ env: [String: String], host: String, port: Int, database: String, user: String) -> String? {
        let path = env["PGPASSFILE"] ?? (env["HOME"].map { $0 + "/.pgpass" } ?? "")
        guard !path.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(f.prefix(4), wanted).allSatisfy({ $0.0 == "*" || $0.0 == $0.1 }) { return f[4] }
        }
        return nil
    }
}

/// The warehouse step could not be done; the message says why, without a secret.
public struct WarehouseFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
