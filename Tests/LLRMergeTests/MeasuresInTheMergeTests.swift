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

    /// The pack as a screen lays it out, read from Chromium: the summary
    /// above the priorities in the catalogue's order, every table's headers
    /// in one row left to right, each partner's words straight under its
    /// measure's row and as wide, and nothing wider than the window. The
    /// pack has no script; the test measures a copy with one added.
    @Test func theBoardPacksLandmarksAreWhereAReaderLooks() throws {
        let out = tempDir() + "/out"
        _ = try merge(try inbox(), out: out)
        let measuring = """
        <script>addEventListener('load', () => {
          const r = e => e.getBoundingClientRect(), o = {};
          o.h1 = r(document.querySelector('h1')).top;
          o.summary = r(document.querySelector('section.summary')).top;
          o.sections = [...document.querySelectorAll('section.priority h2')].map(h => [h.textContent, r(h).top]);
          o.headersInARow = [...document.querySelectorAll('thead tr')].every(tr => { const c = [...tr.children].map(r);
            return c.every((x, i) => Math.abs(x.top - c[0].top) < 1 && (i == 0 || x.left >= c[i - 1].right - 1)); });
          const said = [...document.querySelectorAll('tr.said')];
          o.said = said.length;
          o.saidUnderItsRow = said.every(tr => { const p = tr.previousElementSibling;
            return Math.abs(r(tr).top - r(p).bottom) < 2 && Math.abs(r(tr).width - r(p).width) < 2; });
          o.width = document.documentElement.scrollWidth;
          const pre = document.createElement('pre'); pre.id = 'landmarks'; pre.textContent = JSON.stringify(o); document.body.appendChild(pre);
        });</script>
        """
        let page = try String(contentsOfFile: out + "/board-pack.html", encoding: .utf8).replacingOccurrences(of: "</body>", with: measuring + "</body>")
        let copy = out + "/measured-pack.html"
        try page.write(toFile: copy, atomically: true, encoding: .utf8)
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,800", "--virtual-time-budget=5000", "--dump-dom", "file://" + copy]
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let json = try #require(dom.components(separatedBy: "<pre id=\"landmarks\">").dropFirst().first?.components(separatedBy: "</pre>").first)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let sections = try #require(o["sections"] as? [[Any]])
        var priorities: [String] = []
        for m in mergeContract.measures.measures where !priorities.contains(m.priority) { priorities.append(m.priority) }
        #expect(sections.map { $0[0] as? String ?? "" } == priorities + ["Partners' own measures"])
        let tops = [o["h1"], o["summary"]].map { $0 as? Double ?? -1 } + sections.map { $0[1] as? Double ?? -1 }
        #expect(tops == tops.sorted() && Set(tops).count == tops.count, "\(tops)")
        #expect(o["headersInARow"] as? Bool == true)
        #expect((o["said"] as? Int ?? 0) >= 2 && o["saidUnderItsRow"] as? Bool == true)
        #expect((o["width"] as? Int ?? .max) <= 1000)
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
