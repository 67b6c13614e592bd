import Foundation
import LLRTestSupport
import Testing

/// The portal in a real browser: headless Chromium driven by Selenium
/// (`make test-deps` installs chromium-driver and selenium).
@Suite("llr-serve: in a browser", .serialized)
struct PortalBrowserTests {
    @Test func aPartnerUploadsABrokenReturnReadsItAndAnotherCannot() throws {
        let s = try PortalServer()
        // A broken return: two rows spoiled in a copy of a sample return.
        let broken = tempDir() + "/LCC_council_2024-25_Q3.csv"
        var text = try gunzip(sampleReturn("LCC_council_2024-25_Q2.csv.gz"))
        text = text.replacingOccurrences(of: ",REFERRAL,", with: ",REFERAL,")
        #expect(FileManager.default.createFile(atPath: broken, contents: Data(text.utf8)))
        let shots = ProcessInfo.processInfo.environment["LLR_PORTAL_SCREENSHOTS"]
        let r = try runProgram("/usr/bin/env", ["python3", packageRoot + "/Tests/EndToEnd/portal_e2e.py", s.base, broken,
                                                PortalServer.passwords["lcc"]!, PortalServer.passwords["uhl"]!] + (shots.map { [$0] } ?? []))
        #expect(r.status == 0, "\(r.text)")
        #expect(r.out.contains("uhl cannot see it"), "\(r.out)")
    }
}
