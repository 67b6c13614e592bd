import Foundation
import LLRCore
import LLRMeasures
import LLRMerge
import LLRTestSupport
import Testing

/// The board's measures as the nightly merge writes them: one definition,
/// one figure, whoever computes it.
@Suite("The board's measures in the merge")
struct MeasuresInTheMergeTests {
    @Test func theMergeAndLlrMeasuresGiveTheSameBytes() throws {
        let out = tempDir() + "/out"
        let r = try merge(try inbox(), out: out)
        #expect(!r.measures.isEmpty)
        let fromMerge = try Data(contentsOf: URL(fileURLWithPath: out + "/measures.csv.gz"))
        let members = try Data(contentsOf: URL(fileURLWithPath: out + "/restricted/measure_members.csv.gz"))
        let run = try runTool("llr-measures", ["compute", "--dataset", out])
        #expect(run.status == 0, "\(run.text)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/measures.csv.gz")) == fromMerge)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/restricted/measure_members.csv.gz")) == members)
    }

    @Test func publishedMeasuresWithholdSmallCountsAndNameNoOne() throws {
        let out = tempDir() + "/out"
        _ = try merge(try inbox(), out: out)
        let published = table(out + "/published/measures.csv")
        #expect(!published.isEmpty)
        for row in published {
            if let n = Int(row["numerator"] ?? ""), (1...4).contains(n) { Issue.record("\(row): a count of \(n) is published") }
        }
        #expect(published.contains { $0["numerator"] == "[c]" })
        let text = try String(contentsOfFile: out + "/published/measures.csv", encoding: .utf8)
        #expect(!text.contains("llr_person_id") && !text.contains("llr_event_id"))
    }

    @Test func explainNamesTheMeasureOrSaysWhichExist() throws {
        let good = try runTool("llr-measures", ["explain", "CP_REPEAT"])
        #expect(good.status == 0 && good.out.contains("an earlier council CP_PLAN event"))
        let bad = try runTool("llr-measures", ["explain", "CP_REPEATS"])
        #expect(bad.status == 2 && bad.err.contains("Did you mean 'CP_REPEAT'?"))
        let noData = try runTool("llr-measures", ["compute", "--dataset", tempDir()])
        #expect(noData.status == 2 && noData.err.contains("events.csv.gz does not exist"))
    }
}
