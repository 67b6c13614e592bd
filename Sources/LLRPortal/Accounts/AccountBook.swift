import Foundation
import LLRCore
#if canImport(Glibc)
import Glibc
#endif

/// Who may use the portal: a partner's data officer sees its own partner's
/// returns; the business unit sees every partner's.
public enum PortalRole: String, Codable, Sendable, CaseIterable {
    case partner
    case businessUnit = "business-unit"
}

/// One account. The password and the API token are kept only as slow hashes.
public struct Account: Codable, Sendable, Equatable {
    /// A short random id: the first part of the account's API token, so a
    /// token names its account without a search through every hash.
    public var id: String
    public var name: String
    public var partner: String?
    public var role: PortalRole
    public var password: String
    public var token: String
    public var created: String

    /// May this account see, or send, a return of `partner`?
    public func mayAct(for partner: String) -> Bool { role == .businessUnit || self.partner == partner }
}

public struct AccountError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}

/// The accounts file (`--accounts`): JSON, written under a temporary name,
/// with mode 600, and renamed into place.
public struct AccountBook: Sendable {
    public private(set) var accounts: [Account] = []
    public let path: String

    public init(path: String) { self.path = path }

    /// The file as it is; none yet is an empty book.
    public static func load(path: String) throws(AccountError) -> AccountBook {
        var book = AccountBook(path: path)
        guard FileManager.default.fileExists(atPath: path) else { return book }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            book.accounts = try JSONDecoder().decode([Account].self, from: data)
        } catch {
            throw AccountError("the accounts file \(path) cannot be read (\(error)); restore it from a backup or add the accounts again")
        }
        return book
    }

    public func save() throws(AccountError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try writePrivately(Array(try encoder.encode(accounts)) + [0x0A], to: path)
        } catch { throw AccountError("the accounts file \(path) cannot be written: \(error)") }
    }

    public func account(named name: String) -> Account? { accounts.first { $0.name == name } }

    /// Adds an account; returns its API token, shown once and never stored.
    public mutating func add(name: String, partner: String?, role: PortalRole, password: String, registry: PartnerRegistry) throws(AccountError) -> String {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw AccountError("the name must be one word with no spaces (an e-mail address will do)") }
        guard account(named: name) == nil else { throw AccountError("there is already an account '\(name)': remove it first, or rotate its token") }
        guard password.count >= 12 else { throw AccountError("the password must be at least 12 characters") }
        if role == .partner {
            guard let partner, registry.partner(code: partner) != nil else {
                throw AccountError("a partner account needs --partner, one of \(registry.partners.map(\.code).joined(separator: ", "))")
            }
        }
        let id = randomToken(6).lowercased().filter { $0.isLetter || $0.isNumber }
        let token = "llr_\(id)_\(randomToken())"
        do {
            accounts.append(Account(id: id, name: name, partner: role == .partner ? partner : nil, role: role,
                                    password: try SecretHash.make(password).encoded, token: try SecretHash.make(token).encoded,
                                    created: isoTimestamp()))
        } catch { throw AccountError("cannot hash the secrets: \(error)") }
        return token
    }

    public mutating func remove(name: String) throws(AccountError) {
        guard let i = accounts.firstIndex(where: { $0.name == name }) else { throw AccountError("there is no account '\(name)'") }
        accounts.remove(at: i)
    }

    /// A new API token for the account; the old one stops working.
    public mutating func rotateToken(name: String) throws(AccountError) -> String {
        guard let i = accounts.firstIndex(where: { $0.name == name }) else { throw AccountError("there is no account '\(name)'") }
        let token = "llr_\(accounts[i].id)_\(randomToken())"
        do { accounts[i].token = try SecretHash.make(token).encoded } catch { throw AccountError("cannot hash the token: \(error)") }
        return token
    }

    /// The account whose password this is.
    public func signIn(name: String, password: String) -> Account? {
        guard let a = account(named: name), let hash = SecretHash(encoded: a.password), hash.matches(password) else { return nil }
        return a
    }

    /// The account an API token belongs to (`llr_ID_SECRET`).
    public func holder(ofToken token: String) -> Account? {
        let parts = token.split(separator: "_", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "llr", let a = accounts.first(where: { $0.id == parts[1] }),
              let hash = SecretHash(encoded: a.token), hash.matches(token) else { return nil }
        return a
    }
}

/// Now, as `2026-12-04T18:50:00Z`.
func isoTimestamp(_ t: time_t = time(nil)) -> String {
    var tm = tm()
    var t = t
    gmtime_r(&t, &tm)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
}

/// Writes `bytes` to a temporary file made with mode 600 (never readable by
/// others, not even for a moment), flushes it to disk and renames it into place.
func writePrivately(_ bytes: [UInt8], to path: String) throws(AccountError) {
    let temp = path + ".tmp-\(getpid())"
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw AccountError(String(cString: strerror(errno))) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    let synced = fsync(fd) == 0
    close(fd)
    guard written == bytes.count, synced, rename(temp, path) == 0 else {
        let why = String(cString: strerror(errno))
        unlink(temp)
        throw AccountError(why)
    }
}
