import Foundation
import LLRCore
import LLRDedupe
import LLRSynth
import LLRTestSupport
import Testing
@testable import LLRMerge

/// Person linkage as the business unit meets it in the nightly merge: ids
/// keyed for the wrong child, the partner's feedback on them, and the run
/// report's account of the model.
@Suite(.serialized) struct LinkageInTheMergeTests {
    /// Synthetic returns with 1% of ids keyed for another child.
    static let wrongIds: String = {
        let dir = tempDir()
        var o = SynthOptions(out: dir, quarters: [FinancialQuarter("2024-25_Q1")!, FinancialQuarter("2024-25_Q2")!])
        o.scale = 0.1
        o.seed = 5
        o.wrongIdRate = 0.01
        let synth = try! SynthSettings.load(pipelines: packageRoot + "/Pipelines")
        _ = try! SyntheticReturns(pipelines: contract, settings: synth, options: o).run()
        return dir
    }()

    /// Each `person` of the truth, by file and row.
    func truthPersons() throws -> [String: String] {
        var out: [String: String] = [:]
        for r in table(Self.wrongIds + "/truth/records.csv") { out[r["file"]! + "#" + r["rowNumber"]!] = r["person"]! }
        return out
    }

    /// The wrong ids join no two children: every person id's rows are one
    /// child of the truth but a handful (children alike in name and dob),
    /// and the run report and the partners' outbox say which rows share an
    /// id with another child.
    @Test func wrongIdsJoinNoTwoChildrenAndThePartnerIsTold() throws {
        let out = tempDir()
        let result = try merge(Self.wrongIds + "/returns", out: out, night: CivilDate(year: 2024, month: 11, day: 15))
        let truth = try truthPersons()
        let score = PairScore.of(table(out + "/lineage.csv.gz").filter { !$0["llr_person_id"]!.isEmpty }.map { r in
            (r["llr_person_id"]!, truth[r["source_file"]! + "#" + r["source_row"]!]!)
        })
        #expect(score.precision >= 0.9999, "precision \(score.precision), recall \(score.recall)")
        #expect(score.recall >= 0.99, "precision \(score.precision), recall \(score.recall)")

        let conflicts = result.dedupe!.idConflicts
        #expect(!conflicts.isEmpty)
        // Most flagged pairs are two children of the truth (the rest: a child's own typos).
        let twoChildren = conflicts.filter { truth[$0.sourceFile + "#\($0.sourceRow)"] != truth[$0.otherFile + "#\($0.otherRow)"] }
        #expect(Double(twoChildren.count) >= 0.8 * Double(conflicts.count), "\(twoChildren.count) of \(conflicts.count)")

        let json = try String(contentsOfFile: out + "/run-report.json", encoding: .utf8)
        #expect(json.contains("\"sameIdDifferentChild\"") && json.contains("\"matchWeightHistogram\""))
        let html = try String(contentsOfFile: out + "/run-report.html", encoding: .utf8)
        #expect(html.contains("<h2>Person linkage</h2>") && html.contains("Estimated m and u per level") && html.contains("same id, different child?"))

        let first = conflicts[0]
        let feedback = out + "/outbox/\(first.partner)/\(returnStem(first.sourceFile)).linkage.report.json"
        let report = try String(contentsOfFile: feedback, encoding: .utf8)
        #expect(report.contains("\"code\": \"identifier-conflict\"") && report.contains("\"rowNumber\": \(first.sourceRow)"))
        // The page says what made it: the merge, not a verdict on the file.
        let page = try String(contentsOfFile: out + "/outbox/\(first.partner)/\(returnStem(first.sourceFile)).linkage.report.html", encoding: .utf8)
        #expect(page.contains("identifiers on another child") && page.contains("Made by the nightly merge"))
        #expect(!page.contains("Made by llr-validate") && !page.contains("class=\"verdict"))
        // Another agency's record is never named to a partner.
        for c in conflicts where c.otherPartner != c.partner {
            let text = try String(contentsOfFile: out + "/outbox/\(c.partner)/\(returnStem(c.sourceFile)).linkage.report.json", encoding: .utf8)
            #expect(!text.contains(c.otherFile))
        }
    }

    /// A decision recorded after a night makes the next night run (it is not
    /// "nothing new"), and the run report lists it with who made it.
    @Test func aNewDecisionIsSomethingNewAndIsListed() throws {
        let out = tempDir(), state = tempDir()
        let box = try inbox(smallPartners)
        _ = try merge(box, out: out, state: state)
        #expect(try merge(box, out: out, state: state).nothingNew)
        let link = table(out + "/links.csv.gz")[0]
        let path = tempDir() + "/decisions.csv"
        try (decisionColumns.joined(separator: ",") + "\n"
             + "\(link["source_file_a"]!),\(link["source_row_a"]!),\(link["source_file_b"]!),\(link["source_row_b"]!),non-match,A. Clerk,twins\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let recorded = try recordDecisions(path: path, state: try LinkageState(path: state + "/linkage.sqlite"), now: "2024-11-15T09:00:00Z")
        #expect(recorded.recorded.count == 1)
        let next = try merge(box, out: out, state: state)
        #expect(!next.nothingNew)
        #expect(next.dedupe?.decisions.map(\.status) == [.applied])
        let html = try String(contentsOfFile: out + "/run-report.html", encoding: .utf8)
        #expect(html.contains("A. Clerk") && html.contains("twins"))
    }
}
