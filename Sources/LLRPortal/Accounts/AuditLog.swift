import Foundation
import LLRCore
#if canImport(Glibc)
import Glibc
#endif

/// The portal's audit trail (`STATE/portal-audit.log`): one line per
/// sign-in, upload, refusal and report read: when, who, what, outcome.
/// Opened for appending only; never holds a password or a token.
public final class AuditLog: Sendable {
    private let fd: Int32
    private let lock = MutexLock()

    public init(path: String) throws(AccountError) {
        try? makeDirectories(parentDirectory(path))
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw AccountError("the audit log \(path) cannot be opened: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Tabs and line breaks in a field become spaces, so a line stays a record.
    public func record(who: String, what: String, outcome: String) {
        let clean = { (s: String) in String(s.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }) }
        let line = Array("\(isoTimestamp())\t\(clean(who))\t\(clean(what))\t\(clean(outcome))\n".utf8)
        lock.withLock { _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
    }
}
