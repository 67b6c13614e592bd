import Foundation
import LLRCore

/// A signed-in browser: its account, the token every form must carry back
/// (CSRF), and when it lapses.
public struct Session: Sendable {
    public var account: String
    public var csrf: String
    public var expires: Date
}

/// Sessions in memory (a restart signs everyone out), and the count of
/// failed sign-ins per name that slows the next answer.
public final class SessionStore: Sendable {
    private let sessions = Locked<[String: Session]>([:])
    private let failures = Locked<[String: Int]>([:])
    public let lifetime: TimeInterval

    public init(lifetime: TimeInterval = 8 * 3600) { self.lifetime = lifetime }

    /// A new session's id (the cookie's value) for the account.
    public func open(account: String) -> (id: String, session: Session) {
        let id = randomToken(), s = Session(account: account, csrf: randomToken(), expires: Date().addingTimeInterval(lifetime))
        sessions.update { $0[id] = s }
        return (id, s)
    }

    /// The live session with this id; an expired one is forgotten.
    public func session(_ id: String) -> Session? {
        let now = Date()
        return sessions.update { all in
            guard let s = all[id] else { return nil }
            if s.expires > now { return s }
            all[id] = nil
            return nil
        }
    }

    public func close(_ id: String) { sessions.update { $0[id] = nil } }

    /// Closes every session of an account (removed, or its password changed).
    public func closeAll(account: String) { sessions.update { $0 = $0.filter { $0.value.account != account } } }

    /// How long to wait before answering a failed sign-in: 0.5 s, doubling
    /// with each failure in a row, at most 8 s.
    public func failed(_ name: String) -> Double {
        let n = failures.update { all -> Int in
            all[name, default: 0] += 1
            return all[name]!
        }
        return min(8, 0.25 * pow(2, Double(min(n, 6))))
    }

    public func succeeded(_ name: String) { failures.update { $0[name] = nil } }
}

/// The value of cookie `name` in a `Cookie:` header.
func cookie(_ name: String, in header: String?) -> String? {
    guard let header else { return nil }
    for part in header.split(separator: ";") {
        let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if kv.count == 2, kv[0] == name { return kv[1] }
    }
    return nil
}
