import Foundation
import LLRCore
import LLRMeasures
import LLRMerge
import LLRTestSupport
import Testing

/// The commentary return (contract §8) through the nightly merge: checked,
/// kept in the ledger and lineage, reconciled with the partner's records,
/// and shown beside the measure in the board's pack.
@Suite("Commentary in the merge")
struct CommentaryInTheMergeTests {
    /// Writes a commentary return into `inbox`.
    func send(_ name: String, _ rows: [String], to inbox: String) {
        let text = "measure,value,numerator,denominator,commentary,action\n" + rows.joined(separator: "\n") + "\n"
        FileManager.default.createFile(atPath: inbox + "/" + name, contents: Data(text.utf8))
    }

    /// The sample's Leicester City figure disagrees with its records: the run
    /// report and both packs say so, with both figures and the difference.
    @Test func theSamplesDisagreeingFigureIsNamedWithBothFigures() throws {
        let out = tempDir() + "/out"
        let r = try merge(try inbox(), out: out)
        let q2 = FinancialQuarter("2024-25_Q2")!
        let records = try #require(r.measures.first { $0.measure == "CONTACTS" && $0.quarter == q2 && $0.area == "E06000016" }?.value)
        let sent = try #require(table(out + "/commentary.csv.gz").first { $0["partner"] == "LCC" && $0["measure"] == "CONTACTS" })
        let reported = try #require(Double(sent["value"] ?? ""))
        #expect(reported != records)
        let gap = try #require(r.discrepancies.first { $0.partner == "LCC" && $0.measure == "CONTACTS" })
        let expected = "LCC reports \(groupedNumber(Int(reported))) for Contacts to children's social care (CONTACTS) in 2024-25 Q2; "
            + "its returns hold \(groupedNumber(Int(records))): \(Int(abs(reported - records))) \(reported > records ? "fewer" : "more")"
        #expect(gap.text == expected)
        let report = try String(contentsOfFile: out + "/run-report.html", encoding: .utf8)
        #expect(report.contains("Figures differ: " + htmlEscaped(expected)))
        for pack in ["board-pack.html", "published/board-pack.html"] {
            let page = try String(contentsOfFile: out + "/" + pack, encoding: .utf8)
            #expect(page.contains(htmlEscaped(expected)), "\(pack)")
            #expect(page.contains("Contacts rose after the autumn schools campaign") && page.contains("Partners' own measures"), "\(pack)")
            #expect(page.contains("=Extend the weekend rota"), "\(pack): the partner's words as sent, HTML-escaped")
        }
        // Only the sender's own figure: the police's missing episodes carry no figure, so nothing to reconcile.
        #expect(r.discrepancies.allSatisfy { $0.partner == "LCC" })
    }

    /// Every commentary row is in the lineage (`statement` or `rejected`),
    /// the CSV escapes formula-like text, and the quality table does not
    /// expect a commentary return from anyone.
    @Test func commentaryIsInTheLedgerLineageAndNotInTheQualityTable() throws {
        let out = tempDir() + "/out"
        let r = try merge(try inbox(), out: out)
        let lineage = table(out + "/lineage.csv.gz").filter { $0["source_file"]!.contains("_commentary_") }
        #expect(lineage.count == 4 && lineage.allSatisfy { $0["status"] == "statement" && $0["llr_event_id"] == "" })
        #expect(r.files.filter { $0.file.name.contains("_commentary_") }.allSatisfy { $0.entry.status == .processed })
        let csv = try gunzip(out + "/commentary.csv.gz")
        #expect(csv.contains(",'=Extend the weekend rota,"))
        #expect(r.quality.allSatisfy { $0.family != "commentary" } && r.quality.count == 24)
    }

    /// A `_v2` commentary replaces the first whole; the council's records of
    /// the same quarter stand. A row naming no measure is rejected, located,
    /// in the partner's feedback; the others count.
    @Test func aResubmittedCommentaryReplacesOnlyTheCommentary() throws {
        let dir = try inbox()
        send("LCC_commentary_2024-25_Q2_v2.csv", ["CONTACTS,,,,Second thoughts on contacts.,", "CONTATCS,,,,A slip,"], to: dir)
        let out = tempDir() + "/out"
        let r = try merge(dir, out: out)
        let rows = table(out + "/commentary.csv.gz").filter { $0["partner"] == "LCC" }
        #expect(rows.map { $0["commentary"]! } == ["Second thoughts on contacts."])
        #expect(r.discrepancies.isEmpty, "the second version gives no figure")
        let lineage = table(out + "/lineage.csv.gz")
        #expect(lineage.filter { $0["source_file"] == "LCC_commentary_2024-25_Q2.csv.gz" }.allSatisfy { $0["status"] == "superseded" })
        #expect(lineage.filter { $0["source_file"] == "LCC_council_2024-25_Q2.csv.gz" }.contains { $0["status"] == "kept" })
        let feedback = try String(contentsOfFile: out + "/outbox/LCC/LCC_commentary_2024-25_Q2_v2.csv.report.json", encoding: .utf8)
        #expect(feedback.contains("unknown-measure") && feedback.contains("Did you mean CONTACTS?"))
    }

    /// In the published pack a partner's small count is withheld like the board's own.
    @Test func thePublishedPackWithholdsAPartnersSmallCount() throws {
        let dir = try inbox { !$0.hasPrefix("LCC_commentary") }
        send("LCC_commentary_2024-25_Q2.csv", ["MISSING_REPEAT,3,3,,Three children went missing again and again.,"], to: dir)
        let out = tempDir() + "/out"
        _ = try merge(dir, out: out)
        let full = try String(contentsOfFile: out + "/board-pack.html", encoding: .utf8)
        let published = try String(contentsOfFile: out + "/published/board-pack.html", encoding: .utf8)
        #expect(full.contains("(its figure: 3)"))
        #expect(published.contains("(its figure: [c])") && !published.contains("(its figure: 3)"))
    }
}
