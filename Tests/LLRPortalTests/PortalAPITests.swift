import Foundation
import LLRCore
import LLRTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The portal's API through a real server and curl, as a partner's export job uses it.
@Suite("llr-serve: the API", .serialized)
struct PortalAPITests {
    @Test func aReturnIsCheckedStoredAndReceipted() throws {
        let s = try PortalServer()
        let file = sampleReturn("LCC_council_2024-25_Q2.csv.gz")
        let first = try s.upload(file, as: "LCC_council_2024-25_Q3.csv.gz")
        #expect(first.status == 201 && first.body.contains("\"accepted\": true") && first.body.contains("\"sha256\": \""), "\(first)")
        #expect(first.body.contains("\"findings\""), "the contract's report comes back")
        #expect(s.inboxFiles == ["LCC_council_2024-25_Q3.csv.gz"])
        #expect(FileManager.default.contents(atPath: s.inbox + "/LCC_council_2024-25_Q3.csv.gz") == FileManager.default.contents(atPath: file))
        let again = try s.upload(file, as: "LCC_council_2024-25_Q3.csv.gz")
        #expect(again.status == 200 && again.body.contains("already received"))
        let other = try s.upload(sampleReturn("LCC_council_2024-25_Q1.csv.gz"), as: "LCC_council_2024-25_Q3.csv.gz")
        #expect(other.status == 409 && other.body.contains("send this one as LCC_council_2024-25_Q3_v2.csv.gz"), "\(other)")
        let report = try s.get("/api/returns/LCC_council_2024-25_Q3.csv.gz/report")
        #expect(report.status == 200 && report.body.contains("\"partner\": \"LCC\""))
        #expect(try s.get("/api/returns/LCC_council_2024-25_Q3.csv.gz/report", account: "uhl").status == 404)
    }

    @Test(arguments: [
        ("../LCC_council_2024-25_Q1.csv.gz", 400), ("sub/LCC_council_2024-25_Q1.csv.gz", 400), (".LCC_council_2024-25_Q1.csv.gz", 400),
        ("LCC_council_2024-25_Q1.csv\u{01}.gz", 400), ("notes.txt", 400), ("LCC_council_2024-25_Q9.csv.gz", 400),
        ("UHL_health_2024-25_Q1.csv.gz", 403), ("", 400),
    ])
    func badNamesAreRefusedBeforeAByteIsStored(name: String, status: Int) throws {
        let s = try PortalServer()
        let r = try s.upload(sampleReturn("LCC_council_2024-25_Q1.csv.gz"), as: name)
        #expect(r.status == status, "\(name): \(r)")
        #expect(s.inboxFiles.isEmpty)
    }

    @Test func tooLargeAndUnreadableFilesLeaveNothing() throws {
        let s = try PortalServer(maxUploadMB: 1)
        let big = tempDir() + "/big.csv"
        _ = FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x41, count: 3 * 1_048_576))
        let over = try s.upload(big, as: "LCC_council_2024-25_Q1.csv")
        #expect(over.status == 413 && over.body.contains("limit of 1 MB"))
        // A gzip bomb: a few hundred kilobytes on the wire, a quarter of a
        // gigabyte of one endless cell inside: refused whole, nothing stored.
        let bomb = tempDir() + "/bomb.csv.gz"
        let zeros = Data(repeating: 0x30, count: 64 * 1_048_576)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        let raw = tempDir() + "/raw"
        _ = FileManager.default.createFile(atPath: raw, contents: zeros)
        gz.arguments = ["-c", "for i in 1 2 3 4; do cat \(raw); done | gzip -9 > \(bomb)"]
        try gz.run(); gz.waitUntilExit()
        let exploded = try s.upload(bomb, as: "LCC_council_2024-25_Q1.csv.gz")
        #expect(exploded.status == 422 && exploded.body.contains("\"accepted\": false") && exploded.body.contains("nothing was stored"), "\(exploded.status)")
        #expect(s.inboxFiles.isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.inbox + "/.portal/incoming")) ?? []).isEmpty)
    }

    @Test func noTokenABadTokenAndARemovedAccountAreRefused() throws {
        let s = try PortalServer()
        let file = sampleReturn("LCC_council_2024-25_Q1.csv.gz")
        #expect(try s.curl(["--data-binary", "@" + file, s.base + "/api/returns?name=LCC_council_2024-25_Q1.csv.gz"]).status == 401)
        #expect(try s.curl(["-H", "Authorization: Bearer llr_nobody_forged", s.base + "/api/returns"]).status == 401)
        #expect(try s.get("/api/returns").status == 200)
        let removed = try runTool("llr-serve", ["account", "remove", "--accounts", s.accounts, "--name", "lcc"])
        #expect(removed.status == 0)
        #expect(try s.get("/api/returns").status == 401, "a removed account's token stops working at once")
        #expect(s.inboxFiles.isEmpty)
    }

    /// A client gone halfway: the part it sent never appears in the inbox.
    @Test func aTruncatedUploadLeavesNothing() throws {
        let s = try PortalServer()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(s.port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let head = "POST /api/returns?name=LCC_council_2024-25_Q1.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.tokens["lcc"]!)\r\nContent-Length: 1000000\r\n\r\n"
        let part = Array(head.utf8) + Array(String(repeating: "a,b\n", count: 2000).utf8)
        _ = part.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(300_000)
        close(fd)
        usleep(700_000)
        #expect(s.inboxFiles.isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.inbox + "/.portal/incoming")) ?? []).isEmpty)
        let audit = try String(contentsOfFile: s.state + "/portal-audit.log", encoding: .utf8)
        #expect(audit.contains("abandoned"))
    }

    /// Twenty at once while a merge reads the inbox: every one stored whole,
    /// under its own name, and the merge sees whole files or none (it skips
    /// the hidden folder the bodies stream into).
    @Test func twentyUploadsAtOnceWhileAMergeRuns() throws {
        let s = try PortalServer()
        let file = sampleReturn("LCC_council_2024-25_Q2.csv.gz")
        let names = (1...4).flatMap { q in (1...5).map { v in "LCC_council_2025-26_Q\(q)\(v > 1 ? "_v\(v)" : "").csv.gz" } }
        let results = Locked<[Int]>([])
        let out = tempDir() + "/out"
        let merging = DispatchGroup()
        let merges = Locked<[ToolRun]>([]), uploading = Locked(true)
        // Nights back to back for as long as the uploads go on.
        DispatchQueue.global().async(group: merging) {
            while uploading.value {
                if let r = try? runTool("llr-merge", ["--inbox", s.inbox, "--out", out, "--as-of", "2026-03-31", "--demo-key"]) { merges.update { $0.append(r) } }
            }
        }
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let status = (try? s.upload(file, as: names[i]).status) ?? 0
            results.update { $0.append(status) }
        }
        uploading.value = false
        merging.wait()
        #expect(!merges.value.isEmpty)
        for m in merges.value {
            // A night reads every file in the inbox, or (nothing new since the last) none.
            #expect(m.status == 0 && (m.out.contains(" 0 could not be used") || m.out.contains("nothing new since")), "a merge met a part-written file: \(m.text)")
        }
        #expect(results.value.sorted() == Array(repeating: 201, count: 20))
        #expect(s.inboxFiles == names.sorted())
        for n in names { #expect(FileManager.default.contents(atPath: s.inbox + "/" + n) == FileManager.default.contents(atPath: file)) }
    }

    /// The load test of the portal: 20 uploads of 10 MB at once, on
    /// loopback; every one whole, and the server's memory stays under 200 MB
    /// (bodies stream to disk; none is held whole).
    @Test func twentyTenMegabyteUploadsAtOnceStayUnder200MB() throws {
        let s = try PortalServer()
        let big = tempDir() + "/LCC_council_2026-27_Q1.csv"
        let header = "event_ref,child_id,upn,nhs_number,forename,surname,dob,sex,ethnicity,postcode,event_type,start_date,end_date,referral_source,cp_category,outcome\n"
        let row = "EV-1,C-1,,,Amy,Jones,01/01/2010,F,WBRI,LE1 6ZG,REFERRAL,10/04/2026,,5A,,\n"
        var text = header
        text.reserveCapacity(10_600_000)
        var n = 0
        while text.utf8.count < 10_000_000 { n += 1; text += row.replacingOccurrences(of: "EV-1,", with: "EV-\(n),") }
        _ = FileManager.default.createFile(atPath: big, contents: Data(text.utf8))
        let names = (1...20).map { "LCC_council_2026-27_Q1\($0 > 1 ? "_v\($0)" : "").csv" }
        let statuses = Locked<[Int]>([])
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let status = (try? s.upload(big, as: names[i]).status) ?? 0
            statuses.update { $0.append(status) }
        }
        let seconds = Date().timeIntervalSince(started), peak = s.peakMemoryMiB
        print("portal load: 20 × \(text.utf8.count / 1_000_000) MB in \(String(format: "%.2f", seconds)) s, server peak \(peak) MiB")
        #expect(statuses.value == Array(repeating: 201, count: 20), "\(statuses.value)")
        #expect(s.inboxFiles.count == 20)
        #expect(peak > 0 && peak < 200, "peak \(peak) MiB")
    }

    /// The audit log holds each upload and refusal, never a secret.
    @Test func theAuditLogNamesEveryActAndNoSecret() throws {
        let s = try PortalServer()
        _ = try s.upload(sampleReturn("LCC_council_2024-25_Q1.csv.gz"), as: "LCC_council_2024-25_Q1.csv.gz")
        _ = try s.upload(sampleReturn("LCC_council_2024-25_Q1.csv.gz"), as: "UHL_health_2024-25_Q1.csv.gz")
        _ = try s.curl(["-d", "name=lcc&password=wrong&csrf=x", s.base + "/sign-in"])
        let audit = try String(contentsOfFile: s.state + "/portal-audit.log", encoding: .utf8)
        #expect(audit.contains("upload LCC_council_2024-25_Q1.csv.gz") && audit.contains("201 accepted") && audit.contains("403"))
        for secret in Array(s.tokens.values) + Array(PortalServer.passwords.values) + ["wrong"] { #expect(!audit.contains(secret)) }
        let accounts = try String(contentsOfFile: s.accounts, encoding: .utf8)
        for secret in Array(s.tokens.values) + Array(PortalServer.passwords.values) { #expect(!accounts.contains(secret)) }
        var st = stat()
        #expect(stat(s.accounts, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    /// SIGTERM ends the server cleanly.
    @Test func sigtermStopsTheServer() throws {
        let s = try PortalServer()
        #expect(try s.get("/api/returns").status == 200)
        #expect(s.stop() == 0)
    }
}
