import Foundation
import LLRTestSupport
@testable import LLRPortal
import Testing

/// Browser sessions: sign-in, cookies, the form token, and refusals.
@Suite("llr-serve: sessions", .serialized)
struct PortalSessionTests {
    /// Signs in with curl's cookie jar; returns the jar.
    func signIn(_ s: PortalServer, _ name: String, _ password: String) throws -> (jar: String, status: Int, headers: String) {
        let jar = tempDir() + "/cookies"
        let form = try s.curl(["-c", jar, "-b", jar, s.base + "/sign-in"])
        let csrf = try #require(form.body.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first)
        let headers = tempDir() + "/headers"
        let r = try s.curl(["-c", jar, "-b", jar, "-D", headers, "--data-urlencode", "name=\(name)", "--data-urlencode", "password=\(password)",
                            "--data-urlencode", "csrf=\(csrf)", s.base + "/sign-in"])
        return (jar, r.status, (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
    }

    @Test func aSignedInPartnerSeesItsPagesAndUploadsWithTheFormToken() throws {
        let s = try PortalServer()
        let (jar, status, headers) = try signIn(s, "lcc", PortalServer.passwords["lcc"]!)
        #expect(status == 303 && headers.lowercased().contains("location: /returns"), "\(headers)")
        #expect(headers.contains("llr_session=") && headers.contains("HttpOnly") && headers.contains("SameSite=Strict"))
        let page = try s.curl(["-b", jar, s.base + "/returns"])
        #expect(page.status == 200 && page.body.contains("Returns from LCC"))
        let upload = try s.curl(["-b", jar, s.base + "/upload"])
        let csrf = try #require(upload.body.components(separatedBy: "data-csrf=\"").dropFirst().first?.components(separatedBy: "\"").first)
        let file = sampleReturn("LCC_council_2024-25_Q1.csv.gz")
        let without = try s.curl(["-b", jar, "--data-binary", "@" + file, s.base + "/api/returns?name=LCC_council_2024-25_Q1.csv.gz"])
        #expect(without.status == 403, "a session's upload needs the form token")
        let with = try s.curl(["-b", jar, "-H", "X-CSRF-Token: \(csrf)", "--data-binary", "@" + file, s.base + "/api/returns?name=LCC_council_2024-25_Q1.csv.gz"])
        #expect(with.status == 201)
        #expect(try s.curl(["-b", jar, s.base + "/board-pack"]).status == 404, "the pack is the business unit's")
    }

    @Test func wrongPasswordsAreSlowedAndForgedCookiesSentToSignIn() throws {
        let s = try PortalServer()
        let started = Date()
        let wrong = try signIn(s, "lcc", "not the password")
        #expect(wrong.status == 401 && Date().timeIntervalSince(started) >= 0.4)
        let forged = try s.curl(["-b", "llr_session=forged", "-D", "-", s.base + "/returns"])
        #expect(forged.status == 303 && forged.body.lowercased().contains("location: /sign-in"))
        // A sign-in posted without the form's cookie (from another site) is refused.
        let cross = try s.curl(["--data-urlencode", "name=lcc", "--data-urlencode", "password=\(PortalServer.passwords["lcc"]!)", "--data-urlencode", "csrf=x", s.base + "/sign-in"])
        #expect(cross.status == 403)
    }

    @Test func theBusinessUnitSeesEveryPartnerAndThePack() throws {
        let out = tempDir() + "/out"
        let merged = try runTool("llr-merge", ["--inbox", packageRoot + "/SampleData/returns", "--out", out, "--as-of", "2024-10-31", "--demo-key"])
        #expect(merged.status == 0, "\(merged.text)")
        let s = try PortalServer(dataset: out)
        let (jar, status, _) = try signIn(s, "bu", PortalServer.passwords["bu"]!)
        #expect(status == 303)
        let page = try s.curl(["-b", jar, s.base + "/returns"])
        #expect(page.body.contains("Every partner's returns") && page.body.contains("UHL") && page.body.contains("2024-25 Q1"))
        #expect(try s.curl(["-b", jar, s.base + "/board-pack"]).body.contains("LLR Safeguarding Children Partnership"))
        // A partner's list holds its own quarters only; last night's report on its file is there.
        let own = try s.get("/api/returns", account: "uhl")
        #expect(own.body.contains("\"partner\": \"UHL\"") && !own.body.contains("\"partner\": \"LCC\""))
        #expect(try s.get("/api/returns/UHL_health_2024-25_Q1.csv.gz/report", account: "uhl").body.contains("\"file\": \"UHL_health_2024-25_Q1.csv.gz\""))
    }

    /// Last night's list of a return's rows whose id is on another child's
    /// record reaches its partner in the portal, and no one else.
    @Test func aPartnerSeesTheRowsWhoseIdIsAnotherChilds() throws {
        let synth = tempDir(), out = tempDir() + "/out"
        // Seed 3 at this scale keys some of LCC's ids for another child.
        let made = try runTool("llr-synth", ["--out", synth, "--quarters", "2024-25_Q1", "--scale", "0.05", "--seed", "3", "--wrong-id-rate", "0.02"])
        #expect(made.status == 0, "\(made.text)")
        let merged = try runTool("llr-merge", ["--inbox", synth + "/returns", "--out", out, "--as-of", "2024-08-15", "--demo-key"])
        #expect(merged.status == 0, "\(merged.text)")
        let name = "LCC_council_2024-25_Q1.csv.gz"
        try #require(FileManager.default.fileExists(atPath: out + "/outbox/LCC/LCC_council_2024-25_Q1.linkage.report.json"))
        let s = try PortalServer(dataset: out)
        try FileManager.default.copyItem(atPath: synth + "/returns/" + name, toPath: s.inbox + "/" + name)

        let api = try s.get("/api/returns/\(name)/linkage-report")
        #expect(api.status == 200 && api.body.contains("\"code\": \"identifier-conflict\""), "\(api.body)")
        #expect(try s.get("/api/returns/\(name)/linkage-report", account: "uhl").status == 404)
        let none = try s.get("/api/returns/UHL_health_2024-25_Q1.csv.gz/linkage-report", account: "uhl")
        #expect(none.status == 404 && none.body.contains("found none of its ids on another child's record"))
        #expect(try s.get("/api/returns").body.contains("\"linkage_report\": \"/api/returns/\(name)/linkage-report\""))

        let (jar, _, _) = try signIn(s, "lcc", PortalServer.passwords["lcc"]!)
        #expect(try s.curl(["-b", jar, s.base + "/returns"]).body.contains("href=\"/returns/\(name)/linkage\""))
        let page = try s.curl(["-b", jar, s.base + "/returns/\(name)/linkage"])
        #expect(page.status == 200 && page.body.contains("identifier-conflict") && page.body.contains("another child"), "\(page.body.prefix(400))")
        let (uhl, _, _) = try signIn(s, "uhl", PortalServer.passwords["uhl"]!)
        #expect(try s.curl(["-b", uhl, s.base + "/returns/\(name)/linkage"]).status == 404)
    }

    @Test func aSessionLapses() throws {
        let store = SessionStore(lifetime: 0.05)
        let (id, _) = store.open(account: "lcc")
        #expect(store.session(id) != nil)
        usleep(100_000)
        #expect(store.session(id) == nil)
    }
}
