import LLRCore

extension Portal {
    /// Every page's frame: plain HTML and CSS, nothing from elsewhere.
    func page(title: String, account: Account?, csrf: String? = nil, body: String) -> String {
        var nav = ""
        if let account {
            nav = "<nav><a href=\"/returns\">Returns</a> · <a href=\"/upload\">Upload</a>"
            if account.role == .businessUnit { nav += " · <a href=\"/run-report\">Last night's run report</a> · <a href=\"/board-pack\">The board's pack</a>" }
            nav += "<form method=\"post\" action=\"/sign-out\" class=\"out\"><input type=\"hidden\" name=\"csrf\" value=\"\(esc(csrf ?? ""))\">"
            nav += "<span>\(esc(account.name))\(account.partner.map { " (\(esc($0)))" } ?? " (business unit)")</span> <button>Sign out</button></form></nav>"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · LLR returns</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:0;color:#0b0c0c;line-height:1.4}
        header{background:#0b0c0c;color:#fff;padding:.6rem 1rem}header b{font-size:1.1rem}
        nav{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap;padding:.5rem 1rem;background:#f3f2f1;border-bottom:1px solid #b1b4b6}
        nav a{color:#1d70b8}nav .out{margin-left:auto;display:flex;gap:.5rem;align-items:center}
        main{max-width:60rem;margin:1rem auto;padding:0 1rem}h1{font-size:1.5rem}
        table{border-collapse:collapse;width:100%}th,td{border:1px solid #b1b4b6;padding:.3rem .5rem;text-align:left;font-size:.9rem}
        thead th{background:#f3f2f1}label{display:block;font-weight:600;margin:.6rem 0 .2rem}
        input[type=text],input[type=password]{font-size:1rem;padding:.3rem;width:20rem;max-width:100%}
        button{font-size:1rem;padding:.35rem .9rem;background:#00703c;color:#fff;border:0;cursor:pointer}
        .error{border-left:5px solid #d4351c;padding:.4rem .8rem;background:#fbe9e7}.ok{border-left:5px solid #00703c;padding:.4rem .8rem;background:#e8f3ec}
        #drop{border:3px dashed #505a5f;padding:2rem;text-align:center;margin:1rem 0}#drop.over{background:#e8f1f8;border-color:#1d70b8}
        progress{width:100%;height:1.2rem}.status-late,.status-missing,.status-unreadable{color:#d4351c;font-weight:600}
        </style></head><body><header><b>LLR safeguarding returns</b></header>\(nav)<main>
        \(body)
        </main></body></html>

        """
    }

    func signInPage(csrf: String, message: String?) -> String {
        var h = "<h1>Sign in</h1>\n"
        if let message { h += "<p class=\"error\" role=\"alert\">\(esc(message))</p>\n" }
        h += "<form method=\"post\" action=\"/sign-in\"><input type=\"hidden\" name=\"csrf\" value=\"\(esc(csrf))\">"
        h += "<label for=\"name\">Account name</label><input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" required>"
        h += "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"
        h += "<p><button>Sign in</button></p></form>"
        return page(title: "Sign in", account: nil, body: h)
    }

    /// The caller's returns by quarter, newest first, and what last night's merge made of each quarter.
    func returnsPage(_ account: Account, csrf: String) -> String {
        let partner = account.role == .businessUnit ? nil : account.partner
        var h = "<h1>\(partner.map { "Returns from \(esc($0))" } ?? "Every partner's returns")</h1>\n"
        h += "<p><a href=\"/upload\">Upload a return</a></p>\n<h2>Quarters</h2>\n"
        let quarters = status.quarters(partner: partner)
        if quarters.isEmpty { h += "<p>No merge has run yet.</p>\n" } else {
            h += "<table><thead><tr><th scope=\"col\">Quarter</th><th scope=\"col\">Partner</th><th scope=\"col\">Due</th><th scope=\"col\">Status</th><th scope=\"col\">Return that counts</th></tr></thead><tbody>\n"
            for q in quarters {
                h += "<tr><td>\(esc(q.quarter.description))</td><td>\(esc(q.partner))</td><td>\(esc(q.due))</td>"
                h += "<td class=\"status-\(q.status.replacingOccurrences(of: " ", with: "-"))\">\(esc(q.status))</td><td>\(reportLink(q.file))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        h += "<h2>Files received</h2>\n"
        let sent = status.sent(partner: partner, judged: quarters)
        if sent.isEmpty { h += "<p>None yet.</p>\n" } else {
            h += "<table><thead><tr><th scope=\"col\">File</th><th scope=\"col\">Quarter</th><th scope=\"col\">Bytes</th><th scope=\"col\">Status</th>"
            h += "<th scope=\"col\">Ids to check</th></tr></thead><tbody>\n"
            for r in sent {
                h += "<tr><td>\(reportLink(r.name))</td><td>\(esc(r.quarter.description))</td><td>\(r.bytes)</td><td>\(esc(r.status))</td>"
                h += "<td>\(hasLinkageReport(r.name, account) ? linkageLink(r.name) : "")</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        return page(title: "Returns", account: account, csrf: csrf, body: h)
    }

    func reportLink(_ name: String) -> String {
        name.isEmpty ? "" : "<a href=\"/returns/\(esc(percentEncoded(name)))\">\(esc(name))</a>"
    }

    func linkageLink(_ name: String) -> String {
        "<a href=\"/returns/\(esc(percentEncoded(name)))/linkage\">rows whose id is on another child's record</a>"
    }

    /// Whether last night's merge found ids on this return that are on another child's record.
    func hasLinkageReport(_ name: String, _ account: Account) -> Bool {
        outboxPath(name: name, account: account, html: true, kind: .linkage).map { fileExists($0.path) } ?? false
    }

    func uploadPage(_ account: Account, csrf: String) -> String {
        var h = "<h1>Upload a return</h1>\n"
        h += "<p>Name the file <code>\(esc(account.partner ?? "PARTNER"))_family_YYYY-YY_Qn.csv.gz</code> (a resubmission adds <code>_v2</code>). "
        h += "It is checked as it arrives, with the same rules as <code>llr-validate</code>, and goes into tonight's merge.</p>\n"
        h += "<form id=\"upload\" data-csrf=\"\(esc(csrf))\"><div id=\"drop\"><p>Drop the file here, or</p>"
        h += "<label for=\"file\">Choose a file</label><input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,.gz\"></div>"
        h += "<p><button>Upload</button></p><progress id=\"progress\" max=\"100\" value=\"0\" aria-label=\"Upload progress\"></progress></form>\n"
        h += "<div id=\"result\" aria-live=\"polite\"></div>\n"
        h += "<noscript><p class=\"error\">Uploading from this page needs JavaScript. Without it, send the file with your API token: "
        h += "<code>curl -H 'Authorization: Bearer TOKEN' --data-binary @FILE 'https://THIS-SITE/api/returns?name=FILE'</code></p></noscript>\n"
        h += "<script src=\"/static/upload.js\"></script>\n"
        return page(title: "Upload", account: account, csrf: csrf, body: h)
    }
}

/// A file name as a URL path segment.
func percentEncoded(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        if isASCIILetter(b) || isDigit(b) || b == 0x2D || b == 0x2E || b == 0x5F { out.append(Character(UnicodeScalar(b))) } else { out += String(format: "%%%02X", b) }
    }
    return out
}
