import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import LLRCore

extension Portal {
    func addAPIRoutes(_ router: Router<PortalContext>) {
        router.post("/api/returns") { request, context in try await self.upload(request, context) }
        router.get("/api/returns") { request, context in self.listReturns(request, context) }
        router.get("/api/returns/{file}/report") { request, context in self.report(request, context, kind: .validation) }
        router.get("/api/returns/{file}/linkage-report") { request, context in self.report(request, context, kind: .linkage) }
    }

    /// `POST /api/returns?name=FILE`: the body streams into the inbox.
    func upload(_ request: Request, _ context: PortalContext) async throws -> Response {
        var context = context
        identify(request, &context)
        let name = request.uri.queryParameters.get("name") ?? ""
        guard let account = context.account else {
            audit.record(who: "anonymous", what: "upload \(printable(name))", outcome: "401 no valid token or session")
            return jsonError(401, "send your API token as 'Authorization: Bearer TOKEN', or sign in")
        }
        guard csrfHolds(request, context) else { return jsonError(403, "the page's form token is missing or old: reload the upload page") }
        let opened: (IncomingReturn, ReturnFileName)
        do { opened = try desk.open(name: name, account: account) } catch {
            audit.record(who: who(context.account), what: "upload \(printable(name))", outcome: "\(error.status) \(error.message)")
            return jsonError(error.status, error.message)
        }
        let (incoming, parsed) = opened
        do {
            for try await buffer in request.body { try buffer.withUnsafeReadableBytes { try incoming.append($0) } }
        } catch {
            incoming.discard()
            let refusal = error as? UploadRefusal
            audit.record(who: who(context.account), what: "upload \(name)", outcome: refusal.map { "\($0.status) \($0.message)" } ?? "abandoned: \(error)")
            if let refusal { return jsonError(refusal.status, refusal.message) }
            throw error
        }
        // Checking a large return takes a core for a while: off the server's threads.
        let result = await withCheckedContinuation { (done: CheckedContinuation<UploadResult, Never>) in
            DispatchQueue.global().async { done.resume(returning: self.desk.finish(incoming, name: parsed)) }
        }
        audit.record(who: who(context.account), what: "upload \(name) (\(incoming.bytes) bytes)",
                     outcome: "\(result.status) \(result.accepted ? "accepted" : "refused"): \(result.message)")
        return jsonResponse(result.status, result.json)
    }

    /// `GET /api/returns`: the caller's own returns and quarters (every partner's for the business unit).
    func listReturns(_ request: Request, _ context: PortalContext) -> Response {
        var context = context
        identify(request, &context)
        guard let account = context.account else { return jsonError(401, "send your API token as 'Authorization: Bearer TOKEN', or sign in") }
        let partner = account.role == .businessUnit ? nil : account.partner
        let quarters = status.quarters(partner: partner)
        var w = "{\n  \"returns\": ["
        for (i, r) in status.sent(partner: partner, judged: quarters).enumerated() {
            w += (i == 0 ? "\n" : ",\n") + "    {\"name\": \(jsonString(r.name)), \"partner\": \"\(r.partner)\", \"period\": \"\(r.quarter.fileToken)\", "
            w += "\"version\": \(r.version), \"bytes\": \(r.bytes), \"status\": \(jsonString(r.status)), "
            w += "\"linkage_report\": \(hasLinkageReport(r.name, account) ? jsonString("/api/returns/\(percentEncoded(r.name))/linkage-report") : "null")}"
        }
        w += "\n  ],\n  \"quarters\": ["
        for (i, q) in quarters.enumerated() {
            w += (i == 0 ? "\n" : ",\n") + "    {\"partner\": \"\(q.partner)\", \"period\": \"\(q.quarter.fileToken)\", \"due\": \"\(q.due)\", "
            w += "\"status\": \(jsonString(q.status)), \"file\": \(jsonString(q.file))}"
        }
        return jsonResponse(200, w + "\n  ]\n}\n")
    }

    /// `GET /api/returns/FILE/report[?format=html]`: the report on one of
    /// the caller's returns; another partner's is not found, as if absent.
    /// `.../linkage-report` is the merge's list of the return's rows whose
    /// id is also on another child's record, when last night found any.
    func report(_ request: Request, _ context: PortalContext, kind: ReturnReportKind) -> Response {
        var context = context
        identify(request, &context)
        let name = context.parameters.get("file") ?? ""
        guard let account = context.account else { return jsonError(401, "send your API token as 'Authorization: Bearer TOKEN', or sign in") }
        let html = request.uri.queryParameters.get("format") == "html"
        guard let text = reportText(name: name, account: account, html: html, kind: kind) else {
            audit.record(who: who(context.account), what: "\(kind.act) \(printable(name))", outcome: "404")
            let why = kind.notFound(printable(name))
            return html ? htmlResponse(404, page(title: "Not found", account: account, body: "<p>\(esc(why)).</p>")) : jsonError(404, why)
        }
        audit.record(who: who(context.account), what: "\(kind.act) \(name)", outcome: "200")
        return html ? htmlResponse(200, text) : jsonResponse(200, text)
    }

    /// The report the portal kept at upload, else the one last night's merge
    /// wrote in the partner's outbox (the linkage report is only the merge's).
    func reportText(name: String, account: Account, html: Bool, kind: ReturnReportKind = .validation) -> String? {
        guard let merged = outboxPath(name: name, account: account, html: html, kind: kind) else { return nil }
        let kept = kind == .validation ? [desk.reportPath(partner: merged.partner, name: name, html: html)] : []
        for path in kept + [merged.path] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
        }
        return nil
    }

    /// Where last night's merge put a report on one of the caller's returns;
    /// nil for a name that is not a return of the caller's.
    func outboxPath(name: String, account: Account, html: Bool, kind: ReturnReportKind) -> (partner: String, path: String)? {
        guard case .success(let r) = ReturnFileName.parse(name, registry: pipelines.registry), !name.contains("/"), account.mayAct(for: r.partner) else { return nil }
        return (r.partner, settings.dataset + "/outbox/\(r.partner)/\(feedbackName(name)).\(kind.suffix).\(html ? "html" : "json")")
    }
}

/// The reports a partner may read on one of its returns.
enum ReturnReportKind: Sendable {
    /// The contract's checks: at upload, and again in the merge.
    case validation
    /// Rows whose identifier the merge found on another child's record.
    case linkage

    var suffix: String { self == .validation ? "report" : "linkage.report" }
    var act: String { self == .validation ? "report" : "linkage report" }
    func notFound(_ name: String) -> String {
        self == .validation ? "no report on a return of yours named \(name)"
            : "no linkage report on a return of yours named \(name): last night's merge found none of its ids on another child's record"
    }
}
