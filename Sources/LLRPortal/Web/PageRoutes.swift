import Foundation
import HTTPTypes
import Hummingbird
import LLRCore

extension Portal {
    func addPageRoutes(_ router: Router<PortalContext>) {
        router.get("/") { request, context in
            var context = context
            self.identify(request, &context)
            return redirect(context.account == nil ? "/sign-in" : "/returns")
        }
        router.get("/sign-in") { request, _ in self.signInForm(request, message: nil) }
        router.post("/sign-in") { request, context in try await self.signIn(request, context) }
        router.post("/sign-out") { request, context in try await self.signOut(request, context) }
        router.get("/returns") { request, context in self.signedIn(request, context) { a, csrf in htmlResponse(200, self.returnsPage(a, csrf: csrf)) } }
        router.get("/upload") { request, context in self.signedIn(request, context) { a, csrf in htmlResponse(200, self.uploadPage(a, csrf: csrf)) } }
        router.get("/returns/{file}") { request, context in self.reportPage(request, context, kind: .validation) }
        router.get("/returns/{file}/linkage") { request, context in self.reportPage(request, context, kind: .linkage) }
        router.get("/run-report") { request, context in self.datasetPage(request, context, file: "run-report.html") }
        router.get("/board-pack") { request, context in self.datasetPage(request, context, file: "board-pack.html") }
        router.get("/static/upload.js") { _, _ in
            Response(status: .ok, headers: secureHeaders("text/javascript; charset=utf-8"), body: .init(byteBuffer: ByteBuffer(string: uploadScript)))
        }
    }

    /// A page for a signed-in browser, else the sign-in page.
    func signedIn(_ request: Request, _ context: PortalContext, _ render: (Account, String) -> Response) -> Response {
        var context = context
        identify(request, &context)
        guard let account = context.account, let id = context.sessionID, let s = sessions.session(id) else { return redirect("/sign-in") }
        return render(account, s.csrf)
    }

    /// The form, with a token also set as a cookie: a sign-in posted from
    /// another site carries neither.
    func signInForm(_ request: Request, message: String?, status: Int = 200) -> Response {
        let token = randomToken()
        return htmlResponse(status, signInPage(csrf: token, message: message),
                            cookies: [sessionCookie("llr_signin", token, maxAge: 1800, secure: behindTLS(request))])
    }

    func signIn(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = parseForm(try await request.body.collect(upTo: 16 * 1024))
        let name = form["name"] ?? ""
        guard let expected = cookie("llr_signin", in: request.headers[.cookie]), form["csrf"] == expected else {
            audit.record(who: printable(name), what: "sign-in", outcome: "refused: no form token")
            return signInForm(request, message: "The form had expired: sign in again.", status: 403)
        }
        guard let account = accounts.signIn(name: name, password: form["password"] ?? "") else {
            let wait = sessions.failed(name)
            audit.record(who: printable(name), what: "sign-in", outcome: "wrong name or password")
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            return signInForm(request, message: "That name and password do not match an account.", status: 401)
        }
        sessions.succeeded(name)
        let (id, _) = sessions.open(account: account.name)
        audit.record(who: who(account), what: "sign-in", outcome: "signed in")
        return redirect("/returns", cookies: [sessionCookie("llr_session", id, maxAge: Int(sessions.lifetime), secure: behindTLS(request)),
                                              sessionCookie("llr_signin", "", maxAge: 0, secure: behindTLS(request))])
    }

    func signOut(_ request: Request, _ context: PortalContext) async throws -> Response {
        var context = context
        identify(request, &context)
        let form = parseForm(try await request.body.collect(upTo: 16 * 1024))
        if let id = context.sessionID, csrfHolds(request, context, formValue: form["csrf"]) {
            sessions.close(id)
            audit.record(who: who(context.account), what: "sign-out", outcome: "signed out")
        }
        return redirect("/sign-in", cookies: [sessionCookie("llr_session", "", maxAge: 0, secure: behindTLS(request))])
    }

    /// A return's report as a page.
    func reportPage(_ request: Request, _ context: PortalContext, kind: ReturnReportKind) -> Response {
        signedIn(request, context) { account, csrf in
            let name = context.parameters.get("file") ?? ""
            guard let text = reportText(name: name, account: account, html: true, kind: kind) else {
                audit.record(who: "\(account.name)", what: "\(kind.act) \(printable(name))", outcome: "404")
                return htmlResponse(404, page(title: "Not found", account: account, csrf: csrf, body: "<h1>Not found</h1><p>\(esc(kind.notFound(printable(name)))).</p>"))
            }
            audit.record(who: "\(account.name)", what: "\(kind.act) \(name)", outcome: "200")
            return htmlResponse(200, text)
        }
    }

    /// Last night's run report or the board's pack: the business unit's.
    func datasetPage(_ request: Request, _ context: PortalContext, file: String) -> Response {
        signedIn(request, context) { account, csrf in
            guard account.role == .businessUnit else { return htmlResponse(404, page(title: "Not found", account: account, csrf: csrf, body: "<h1>Not found</h1>")) }
            guard let text = try? String(contentsOfFile: settings.dataset + "/" + file, encoding: .utf8) else {
                return htmlResponse(404, page(title: "Not yet", account: account, csrf: csrf, body: "<h1>Not yet</h1><p>No merge has written \(esc(file)) yet.</p>"))
            }
            audit.record(who: account.name, what: file, outcome: "200")
            return htmlResponse(200, text)
        }
    }

    /// The proxy in front says the browser came over TLS.
    func behindTLS(_ request: Request) -> Bool { request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" }
}

/// `a=1&b=two+words` → ["a": "1", "b": "two words"].
func parseForm(_ buffer: ByteBuffer) -> [String: String] {
    var out: [String: String] = [:]
    for pair in String(buffer: buffer).split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
        if kv.count == 2 { out[kv[0]] = kv[1] } else if kv.count == 1 { out[kv[0]] = "" }
    }
    return out
}
