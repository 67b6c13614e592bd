import Foundation
import LLRBench
import LLRTestSupport
import Testing

/// The benchmark suite at a tiny size, so it cannot rot: it must run every
/// stage, write its JSON and markdown, and find the answers right. No
/// timing is asserted.
@Suite("llr-bench smoke run")
struct BenchSmokeTests {
    @Test("llr-bench runs every stage at 3,000 rows and checks the merged answer")
    func smoke() throws {
        let dir = tempDir()
        let r = try runTool("llr-bench", ["--rows", "3000", "--jobs", "1,2", "--runs", "1", "--dir", dir, "--out", dir + "/bench.json",
                                          "--markdown", dir + "/BENCH.md", "--pipelines", packageRoot + "/Pipelines"])
        #expect(r.status == 0, "\(r.text)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/bench.json"))) as? [String: Any]
        let size = try #require((json?["sizes"] as? [[String: Any]])?.first)
        let stages = (size["stages"] as? [[String: Any]] ?? []).map { "\($0["stage"]!) \($0["jobs"]!)" }
        for s in ["floor: zlib inflate 1", "floor: inflate + libcsv parse 1", "llr-validate 1", "llr-validate 2", "llr-normalise 2",
                  "llr-dedupe 2", "llr-merge 1", "llr-merge 2"] {
            #expect(stages.contains(s), "\(s) missing from \(stages)")
        }
        let checks = try #require(size["checks"] as? [String: Any])
        #expect(checks["balanced"] as? Bool == true && checks["correct"] as? Bool == true, "\(checks)")
        #expect(try String(contentsOfFile: dir + "/BENCH.md", encoding: .utf8).contains("| llr-merge | 2 |"))
        // What the cores give the floor together is measured in the merge's turns.
        let floor = try #require(size["floorSpeedup"] as? [String: Any])
        let rounds = floor["rounds"] as? [Double] ?? []
        #expect(floor["jobs"] as? Int == 2 && rounds.count == 1 && rounds.allSatisfy { $0 > 0 }, "\(floor)")
    }

    /// A stage's peak memory is its own: wait4 counts the pages a child
    /// shared with the bench before exec, so a small stage had reported the
    /// bench's memory (38 MiB for every stage at 20,000 rows).
    @Test func peakMemoryIsTheChildsOwnNotTheBenchs() {
        let held = 256 << 20
        let big = UnsafeMutablePointer<UInt8>.allocate(capacity: held)
        big.initialize(repeating: 1, count: held)
        defer { big.deallocate() }
        let c = runMeasured("/bin/sleep", ["0.2"])
        #expect(c.status == 0)
        #expect(c.peakRSSBytes > 0 && c.peakRSSBytes < 64 << 20, "\(c.peakRSSBytes) bytes")
    }
}
