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

    /// On the sample, against the measures perfect linkage would give (the
    /// truth's children and events over the same rows): only measures that
    /// count children across agencies can differ, and by little.
    @Test func theSampleMatchesPerfectLinkageButForAFewChildren() throws {
        let out = tempDir() + "/out"
        let r = try merge(try inbox(), out: out)
        let truthEvents = tempDir() + "/truth-events.csv"
        try LinkageTruth.writeTruthEvents(dataset: out, truth: packageRoot + "/SampleData/truth/records.csv", to: truthEvents)
        let run = MeasureRun(catalogue: mergeContract.measures, contract: contract, totalCode: settings.totalCode)
        let quarters = Array(Set(r.measures.map(\.quarter))).sorted()
        let perfect = try run.compute(eventsPath: truthEvents, quarters: quarters, jobs: 2).0.figures
        let gaps = LinkageTruth.gaps(r.measures, perfect)
        #expect(perfect.count == r.measures.count)
        for g in gaps {
            #expect(g.figure.measure.hasSuffix("_CHILDREN"), "\(g.figure.measure) \(g.figure.quarter) \(g.figure.area): \(g.figure.numerator ?? 0) against \(g.truth)")
            #expect(abs(g.gap) <= max(3, g.truth / 100), "\(g.figure.measure) \(g.figure.area): \(g.gap)")
        }
        // The check can fail: a measure over the dataset's own events with its children merged wrongly differs.
        #expect(LinkageTruth.gaps(r.measures, perfect.map { var f = $0; f.numerator = (f.numerator ?? 0) + 1; return f }).count == perfect.count)
    }

    /// A late resubmission on a second night changes figures for a quarter
    /// already published: they are marked revised, with the value first published.
    @Test func aLateResubmissionMarksTheFiguresItChangesRevised() throws {
        let late = "LCC_council_2024-25_Q1_v2.csv.gz"
        let box = try inbox { $0 != late }
        let out = tempDir() + "/out"
        _ = try merge(box, out: out)
        func figures() -> [String: [String: String]] {
            Dictionary(uniqueKeysWithValues: table(out + "/measures.csv.gz").map { ($0["measure"]! + "|" + $0["quarter"]! + "|" + $0["area"]!, $0) })
        }
        let first = figures()
        #expect(first.values.allSatisfy { $0["revised"] == "false" && $0["first_published"] == "" })
        try FileManager.default.copyItem(atPath: packageRoot + "/SampleData/returns/" + late, toPath: box + "/" + late)
        _ = try merge(box, out: out)
        let second = figures()
        let revised = second.filter { $0.value["revised"] == "true" }
        #expect(!revised.isEmpty)
        for (key, row) in second {
            guard let before = first[key] else { continue }
            if row["revised"] == "true" {
                #expect(row["first_published"] == before["value"] && row["value"] != before["value"], "\(key)")
            } else {
                #expect(row["value"] == before["value"], "\(key) changed without being marked revised")
            }
        }
    }

    /// The board's pack: self-contained, a section per priority with every
    /// measure, and the published one withholds what the published figures do.
    @Test func theBoardPackHoldsEveryMeasureAndNoScript() throws {
        let out = tempDir() + "/out"
        _ = try merge(try inbox(), out: out)
        let pack = try String(contentsOfFile: out + "/board-pack.html", encoding: .utf8)
        let published = try String(contentsOfFile: out + "/published/board-pack.html", encoding: .utf8)
        let priorities = Set(mergeContract.measures.measures.map(\.priority))
        for page in [pack, published] {
            #expect(!page.lowercased().contains("<script") && !page.contains("src=\"http") && !page.contains("href=\"http"))
            #expect(page.components(separatedBy: "<section class=\"priority\">").count - 1 == priorities.count)
            for m in mergeContract.measures.measures { #expect(page.contains(">\(m.code)<"), "\(m.code)") }
        }
        #expect(published.contains("[c]") && !pack.contains("[c]"))
    }

    /// Printed as a person would: each priority starts an A4 page.
    @Test func theBoardPackPrintsEachPriorityOnItsOwnPages() throws {
        let out = tempDir() + "/out"
        _ = try merge(try inbox(), out: out)
        let pdf = tempDir() + "/pack.pdf"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + out + "/board-pack.html"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pdf))
        let text = String(decoding: bytes, as: UTF8.self)
        let pages = text.components(separatedBy: "/Type /Page").count - 1 - (text.components(separatedBy: "/Type /Pages").count - 1)
        let priorities = Set(mergeContract.measures.measures.map(\.priority)).count
        #expect(pages >= priorities + 1, "\(pages) pages for \(priorities) priorities and the summary")
    }

    /// A quarter an authority's council sent nothing for gives that
    /// authority's council measures no value, with the reason, not 0; the
    /// LLR total says what it lacks.
    @Test func aMissingCouncilReturnLeavesItsAreaEmptyWithTheReason() throws {
        let out = tempDir() + "/out"
        let r = try merge(try inbox { !$0.hasPrefix("RCC_council_2024-25_Q2") }, out: out)
        let q2 = FinancialQuarter("2024-25_Q2")!
        let rutland = try #require(r.measures.first { $0.measure == "CONTACTS" && $0.quarter == q2 && $0.area == "E06000017" })
        #expect(rutland.value == nil && rutland.numerator == nil && rutland.note == "no council return from RCC for 2024-25 Q2")
        let llr = try #require(r.measures.first { $0.measure == "CONTACTS" && $0.quarter == q2 && $0.isTotal })
        #expect(llr.value != nil && llr.note.contains("without: no council return from RCC"))
        // Police-only and any-agency measures still count Rutland's events.
        #expect(r.measures.first { $0.measure == "MISSING_EPISODES" && $0.quarter == q2 && $0.area == "E06000017" }?.value != nil)
        let run = try runTool("llr-measures", ["compute", "--dataset", out])
        #expect(run.status == 0)
        #expect(table(out + "/measures.csv.gz").first { $0["measure"] == "CONTACTS" && $0["quarter"] == "Q2" && $0["area"] == "E06000017" }?["value"] == "")
    }
}
