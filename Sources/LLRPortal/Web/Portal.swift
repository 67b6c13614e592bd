import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LLRCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Where the portal keeps and finds things.
public struct PortalSettings: Sendable {
    public var inbox: String
    /// The merge's dataset folder (`--out`): last night's reports, quality, pack.
    public var dataset: String
    public var accounts: String
    /// The merge's state folder: the audit log goes there.
    public var state: String
    public var maxUploadBytes: Int64

    public init(inbox: String, dataset: String, accounts: String, state: String, maxUploadBytes: Int64) {
        self.inbox = inbox; self.dataset = dataset; self.accounts = accounts; self.state = state; self.maxUploadBytes = maxUploadBytes
    }
}

/// The partners' upload portal: accounts, the API and the pages over one
/// inbox and one dataset folder.
public final class Portal: Sendable {
    public let settings: PortalSettings
    let pipelines: Pipelines
    let desk: ReturnDesk
    let status: ReturnsStatus
    let audit: AuditLog
    let sessions = SessionStore()
    private let book: Locked<(stamp: String, book: AccountBook)>
    /// SHA-256 of tokens already checked → the account id and the stored hash they matched.
    private let checkedTokens = Locked<[String: (id: String, hash: String)]>([:])

    public init(settings: PortalSettings, pipelines: Pipelines) throws(AccountError) {
        self.settings = settings
        self.pipelines = pipelines
        desk = ReturnDesk(inbox: settings.inbox, pipelines: pipelines, maxBytes: settings.maxUploadBytes)
        status = ReturnsStatus(inbox: settings.inbox, dataset: settings.dataset, registry: pipelines.registry)
        audit = try AuditLog(path: settings.state + "/portal-audit.log")
        book = Locked((fileStamp(settings.accounts), try AccountBook.load(path: settings.accounts)))
    }

    /// The accounts as the file holds them now: `llr-serve account …` may
    /// change it while the portal runs.
    var accounts: AccountBook {
        let stamp = fileStamp(settings.accounts)
        return book.update { current in
            if current.stamp != stamp, let fresh = try? AccountBook.load(path: settings.accounts) { current = (stamp, fresh) }
            return current.book
        }
    }

    /// Who is calling: an API token, else a live session's account.
    func identify(_ request: Request, _ context: inout PortalContext) {
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
            context.account = holder(ofToken: String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            return
        }
        if let id = cookie("llr_session", in: request.headers[.cookie]), let s = sessions.session(id) {
            context.sessionID = id
            context.account = accounts.account(named: s.account)
        }
    }

    /// A token's account. The slow hash is worked out once per token while
    /// the account keeps it; a removed account or a rotated token fails.
    func holder(ofToken token: String) -> Account? {
        let key = SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
        let book = accounts
        if let known = checkedTokens.value[key], let a = book.accounts.first(where: { $0.id == known.id }), a.token == known.hash { return a }
        guard let a = book.holder(ofToken: token) else { return nil }
        checkedTokens.update { $0[key] = (a.id, a.token) }
        return a
    }

    /// A browser call made with a session must carry its CSRF token
    /// (`X-CSRF-Token`, or the form's `csrf`); an API token needs none.
    func csrfHolds(_ request: Request, _ context: PortalContext, formValue: String? = nil) -> Bool {
        guard let id = context.sessionID else { return true }
        guard let s = sessions.session(id) else { return false }
        return (request.headers[HTTPField.Name("X-CSRF-Token")!] ?? formValue) == s.csrf
    }

    /// The caller's name for the audit log.
    func who(_ account: Account?) -> String { account.map { "\($0.name) (\($0.partner ?? $0.role.rawValue))" } ?? "anonymous" }

    public func router() -> Router<PortalContext> {
        let router = Router(context: PortalContext.self)
        addAPIRoutes(router)
        addPageRoutes(router)
        return router
    }
}

/// A file's size and modification time, to notice it changed.
func fileStamp(_ path: String) -> String {
    var st = stat()
    guard stat(path, &st) == 0 else { return "" }
    return "\(st.st_size)-\(st.st_mtim.tv_sec)-\(st.st_mtim.tv_nsec)"
}
