import Foundation
import LLRCore
import LLRDedupe
import LLRSynth
import LLRTestSupport
import Logging
import Testing
@testable import LLRMerge

let linkage = try! LinkageSettings.load(path: packageRoot + "/Pipelines/linkage.yaml", name: "linkage.yaml")
let settings = try! MergeSettings.load(directory: packageRoot + "/Pipelines")
let mergeContract = try! MergeContract.load(from: packageRoot + "/Pipelines")
let demo = Pseudonymiser(key: Array(Pseudonymiser.demoKey.utf8), isDemo: true)
let sampleReturns = packageRoot + "/SampleData/returns"
let asOf = CivilDate(year: 2024, month: 11, day: 15)
let quietLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

/// An inbox holding copies of the named sample returns (all of them by default).
func inbox(_ filter: (String) -> Bool = { _ in true }) throws -> String {
    let dir = tempDir()
    for name in try FileManager.default.contentsOfDirectory(atPath: sampleReturns).sorted() where filter(name) {
        try FileManager.default.copyItem(atPath: sampleReturns + "/" + name, toPath: dir + "/" + name)
    }
    return dir
}

/// Small partners only, for tests that merge several times.
func smallPartners(_ name: String) -> Bool { ["ICB", "UAVA", "NSPCC", "RCC", "BARNARDOS", "UHL"].contains(String(name.prefix { $0 != "_" })) }

func merge(_ inbox: String, out: String, state: String? = nil, jobs: Int = 2, dryRun: Bool = false, night: CivilDate = asOf) throws -> MergeResult {
    var options = MergeOptions(inbox: inbox, outDir: out, stateDir: state ?? out + "/state", jobs: jobs, asOf: night)
    options.dryRun = dryRun
    return try runMerge(options, contract: mergeContract, pseudonyms: demo,
                        logger: quietLogger, progress: MergeProgress(enabled: false))
}

/// Every dataset file under `dir` (not the state, not the run report, which records timings) with its bytes.
func datasetFiles(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let e = FileManager.default.enumerator(atPath: dir)!
    while let rel = e.nextObject() as? String {
        if rel.hasPrefix("state") || rel.hasPrefix("run-report") { continue }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
            out[rel] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + rel))
        }
    }
    return out
}

/// A CSV(.gz) the pipeline wrote, as rows of named cells.
func table(_ path: String) -> [[String: String]] {
    var header: [String] = []
    var rows: [[String: String]] = []
    let problem = CSVFileRows.read(path: path, header: { header = $0 }) { r in
        var row: [String: String] = [:]
        for (i, h) in header.enumerated() where i < r.storedCount { row[h] = String(decoding: r.cell(i), as: UTF8.self) }
        rows.append(row)
    }
    #expect(problem == nil, "\(problem ?? "")")
    return rows
}

@Suite("llr-merge", .serialized)
struct MergeTests {
    @Test("the sample merges into a complete dataset, every received row accounted for")
    func sampleMerge() throws {
        let out = tempDir()
        let r = try merge(try inbox(), out: out)
        #expect(!r.nothingNew)
        #expect(r.files.count == 35 && r.files.allSatisfy { $0.action == .new })
        for f in ["events.csv.gz", "persons.csv.gz", "links.csv.gz", "lineage.csv.gz", "indicators.csv.gz", "quality.csv.gz",
                  "llr.sqlite", "restricted/person_identifiers.csv.gz", "restricted/review.csv", "published/events.csv",
                  "published/indicators.csv", "published/quality.csv", "published/persons.csv", "published/README.md",
                  "run-report.html", "run-report.json", "outbox/UHL/UHL_health_2024-25_Q1.report.html",
                  "outbox/UHL/UHL_health_2024-25_Q1.report.json", "rejects/UHL/UHL_health_2024-25_Q1.rejects.csv.gz"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f), "\(f) is missing")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/.staging"))
        // Every row of every file in the lineage once; statuses add up to the rows read.
        let lineage = table(out + "/lineage.csv.gz")
        let read = r.files.reduce(0) { $0 + $1.entry.rows }
        #expect(lineage.count == read)
        #expect(Set(lineage.map { $0["source_file"]! + "#" + $0["source_row"]! }).count == read)
        let d = try #require(r.dedupe)
        #expect(["kept", "merged", "duplicate", "superseded", "rejected", "statement"].reduce(0) { $0 + (d.status[$1] ?? 0) } == read)
        // Quality: every partner for both sample quarters; resubmissions counted at their latest version.
        #expect(r.quality.count == 2 * contract.registry.partners.count)
        #expect(r.quality.first { $0.partner == "LCC" && $0.quarter.quarter == 1 }?.version == 2)
        // The database holds the tables and its views answer.
        let db = try SQLiteDatabase(path: out + "/llr.sqlite")
        var events = 0, viewRows = 0
        try db.prepare("SELECT COUNT(*) FROM events").forEachRow { events = $0.int(0) }
        try db.prepare("SELECT COUNT(*) FROM events_by_quarter_la").forEachRow { viewRows = $0.int(0) }
        #expect(events == d.events && viewRows > 0)
        // The lineage, built beside the other tables and copied in, is whole,
        // and a row is found by its file and number through the table's key.
        var lineageRows = 0
        try db.prepare("SELECT COUNT(*) FROM lineage").forEachRow { lineageRows = $0.int(0) }
        #expect(lineageRows == read)
        let plan = try db.prepare("EXPLAIN QUERY PLAN SELECT status FROM lineage WHERE source_file = ?1 AND source_row = 7")
        plan.bind(1, lineage[0]["source_file"]!)
        var steps: [String] = []
        try plan.forEachRow { steps.append($0.text(3)) }
        #expect(steps.contains { $0.contains("SEARCH l USING PRIMARY KEY") }, "\(steps)")
        // The links view gives back links.csv.gz row for row, file names and all.
        let columns = ["llr_person_id", "source_file_a", "source_row_a", "source_file_b", "source_row_b", "rule"]
        let linksCSV = table(out + "/links.csv.gz").map { r in columns.map { r[$0]! } + [r["match_weight"]!.isEmpty ? "" : "\(Double(r["match_weight"]!)!)"] }
        var linksView: [[String]] = []
        try db.prepare("SELECT \(columns.joined(separator: ", ")), match_weight IS NULL, IFNULL(match_weight, 0) FROM links ORDER BY rowid").forEachRow { row in
            linksView.append((0..<6).map { row.text(Int32($0)) } + [row.int(6) == 1 ? "" : "\(row.double(7))"])
        }
        #expect(!linksCSV.isEmpty && linksView == linksCSV)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).allSatisfy { !$0.contains("llr.sqlite.") })
        let report = try String(contentsOfFile: out + "/run-report.html", encoding: .utf8)
        #expect(report.contains("<svg") && report.contains("Reject rate per partner") && report.contains("Returns by partner and quarter"))
    }

    @Test("the published extract holds no names, no dob, no NHS numbers, and no count from 1 to 4")
    func publishedExtract() throws {
        let out = tempDir()
        _ = try merge(try inbox(), out: out)
        let ids = table(out + "/restricted/person_identifiers.csv.gz")
        // Names, NHS numbers, UPNs, full postcodes and partners' ids: none may appear anywhere.
        var secrets = Set<String>()
        var dobs: [String: Set<String>] = [:]
        for row in ids {
            for k in ["forename", "surname", "nhs_number", "upn", "person_source_id"] {
                if let v = row[k], v.count >= 4 { secrets.insert(v) }
            }
            if let pc = row["postcode"], pc.contains(" ") { secrets.insert(pc) }
            if let dob = row["dob"], !dob.isEmpty { dobs[row["llr_person_id"]!, default: []].insert(dob) }
        }
        #expect(secrets.count > 1000 && dobs.count > 1000)
        let published = out + "/published"
        for file in try FileManager.default.contentsOfDirectory(atPath: published) where file.hasSuffix(".csv") {
            let rows = table(published + "/" + file)
            let header = Set(rows.first?.keys.map { $0 } ?? [])
            #expect(header.isDisjoint(with: ["forename", "surname", "dob", "nhs_number", "upn", "postcode", "person_source_id"]), "\(file): \(header)")
            let leaked = rows.flatMap { $0.values.filter { secrets.contains($0) } }
            #expect(leaked.isEmpty, "\(file) holds \(leaked.count) identifiers, e.g. \(leaked.prefix(3))")
            // A child's date of birth is not in any row about that child.
            let dobLeaks = rows.filter { row in row["llr_person_id"].map { id in row.values.contains { dobs[id]?.contains($0) == true } } ?? false }
            #expect(dobLeaks.isEmpty, "\(file) holds \(dobLeaks.count) dates of birth")
        }
        let indicators = table(published + "/indicators.csv")
        var suppressed = 0
        for row in indicators {
            for k in ["events", "children", "children_repeat"] {
                guard let v = row[k], !v.isEmpty else { continue }
                if v == "[c]" { suppressed += 1; continue }
                let n = try #require(Int(v), "\(k) = \(v)")
                #expect(n == 0 || n >= 5, "\(k) = \(n) published")
            }
            if row["children"] == "[c]" { #expect(row["rate_per_10000"] == "[c]") }
        }
        #expect(suppressed > 0)
        // The published events and persons are the dataset's rows, byte for byte.
        for name in ["events", "persons"] {
            #expect(try String(contentsOfFile: "\(published)/\(name).csv", encoding: .utf8) == gunzip("\(out)/\(name).csv.gz"))
        }
        // The full table (not published) keeps the counts.
        #expect(table(out + "/indicators.csv.gz").allSatisfy { $0["children"] != "[c]" })
    }

    @Test("a second run with nothing new changes nothing; the same inputs give the same bytes, whatever --jobs is")
    func idempotent() throws {
        let box = try inbox(smallPartners)
        let a = tempDir(), b = tempDir()
        _ = try merge(box, out: a, jobs: 2)
        let first = try datasetFiles(a)
        let report = try Data(contentsOf: URL(fileURLWithPath: a + "/run-report.json"))
        let again = try merge(box, out: a, jobs: 2)
        #expect(again.nothingNew)
        #expect(try datasetFiles(a) == first)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + "/run-report.json")) == report)
        _ = try merge(box, out: b, jobs: 1)
        let second = try datasetFiles(b)
        #expect(first.keys.sorted() == second.keys.sorted())
        for (k, v) in first { #expect(second[k] == v, "\(k) differs between --jobs 2 and --jobs 1") }
    }

    @Test("a resubmission replaces its quarter's first version; a changed file replaces its earlier bytes")
    func resubmission() throws {
        let box = try inbox { smallPartners($0) && !$0.contains("_v2") }
        let out = tempDir()
        _ = try merge(box, out: out)
        let before = table(out + "/lineage.csv.gz").filter { $0["source_file"] == "RCC_council_2024-25_Q1.csv.gz" }
        #expect(!before.isEmpty && before.allSatisfy { $0["status"] != "superseded" })
        try FileManager.default.copyItem(atPath: sampleReturns + "/RCC_council_2024-25_Q1_v2.csv.gz", toPath: box + "/RCC_council_2024-25_Q1_v2.csv.gz")
        let r = try merge(box, out: out)
        #expect(r.processedTonight.map(\.file.name) == ["RCC_council_2024-25_Q1_v2.csv.gz"])
        let after = table(out + "/lineage.csv.gz")
        #expect(after.filter { $0["source_file"] == "RCC_council_2024-25_Q1.csv.gz" }.allSatisfy { $0["status"] == "superseded" })
        #expect(r.files.first { $0.file.name == "RCC_council_2024-25_Q1.csv.gz" }?.entry.status == .superseded)
        #expect(r.quality.first { $0.partner == "RCC" && $0.quarter.quarter == 1 }?.version == 2)

        // New bytes under a name already merged: they replace the old ones, and the ledger says so.
        let target = box + "/UAVA_vcs_2024-25_Q2.csv.gz"
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: sampleReturns + "/UAVA_vcs_2024-25_Q1.csv.gz", toPath: target)
        let changed = try merge(box, out: out)
        #expect(changed.processedTonight.map(\.action) == [.changed])
        let ledger = try Ledger(path: out + "/state/ledger.sqlite").entries().filter { $0.fileName == "UAVA_vcs_2024-25_Q2.csv.gz" }
        #expect(ledger.map(\.status.rawValue).sorted() == ["processed", "replaced"])
    }

    @Test("a return named in capitals (.CSV.GZ) is merged like any other")
    func capitalExtension() throws {
        let box = try inbox { $0.hasPrefix("UAVA_vcs_2024-25_Q1") }
        try FileManager.default.moveItem(atPath: box + "/UAVA_vcs_2024-25_Q1.csv.gz", toPath: box + "/UAVA_vcs_2024-25_Q1.CSV.GZ")
        let out = tempDir()
        let r = try merge(box, out: out)
        #expect(r.files.first?.entry.status == .processed)
        let lineage = table(out + "/lineage.csv.gz")
        #expect(!lineage.isEmpty && lineage.count == r.files.first?.entry.rows)
    }

    @Test("a return whose header repeats a column, with a row copied, is rejected row by row; the night completes")
    func repeatedColumnAndCopiedRow() throws {
        let box = try inbox { smallPartners($0) && $0.contains("_Q1") }
        let name = "UHL_health_2024-25_Q1"
        var lines = try gunzip(box + "/" + name + ".csv.gz").split(separator: "\n").map(String.init)
        lines[0] += "," + lines[0].split(separator: ",")[1]  // every row is now a cell short
        lines.append(lines[lines.count - 1])  // and the last row comes twice
        try FileManager.default.removeItem(atPath: box + "/" + name + ".csv.gz")
        try (lines.joined(separator: "\n") + "\n").write(toFile: box + "/" + name + ".csv", atomically: true, encoding: .utf8)
        let out = tempDir()
        let r = try merge(box, out: out)
        let entry = try #require(r.files.first { $0.file.name == name + ".csv" }?.entry)
        #expect(entry.rows == lines.count - 1 && entry.duplicates == 0)
        // Each row once (the planted one with a cell too many now fits the
        // header), under the name the file came in (not .csv.gz).
        let lineage = table(out + "/lineage.csv.gz").filter { $0["source_file"] == name + ".csv" }
        #expect(lineage.count == entry.rows && Set(lineage.map { $0["source_row"]! }).count == entry.rows)
        #expect(lineage.filter { $0["status"] == "rejected" }.count == entry.rowsRejected && entry.rowsRejected >= entry.rows - 1)
        #expect(lineage.last?["status"] == "rejected")
    }

    @Test("normalised rows lost from the state are made again from the inbox, or named in the report when the file is gone")
    func lostCache() throws {
        let box = try inbox { smallPartners($0) && $0.contains("_Q1") }
        let out = tempDir()
        _ = try merge(box, out: out)
        // The same two nights with nothing lost: person ids carry the
        // first night's history, so a reference needs the same history.
        let reference = tempDir()
        _ = try merge(box, out: reference)
        let rowsBefore = table(out + "/lineage.csv.gz").count
        // The state's normalised files are deleted; a return comes in, so the night rebuilds.
        try FileManager.default.removeItem(atPath: out + "/state/normalised")
        let newcomer = "UHL_health_2024-25_Q2.csv.gz"
        try FileManager.default.copyItem(atPath: sampleReturns + "/" + newcomer, toPath: box + "/" + newcomer)
        let r = try merge(box, out: out)
        _ = try merge(box, out: reference)
        #expect(table(out + "/lineage.csv.gz").count > rowsBefore)
        #expect(try datasetFiles(out)["lineage.csv.gz"] == datasetFiles(reference)["lineage.csv.gz"])
        #expect(r.notices.filter { $0.contains("made again from the inbox") }.count == r.files.count - 1)
        // A return whose cache is lost and whose file has left the inbox is named, not dropped in silence.
        let gone = "ICB_health_2024-25_Q1"
        try FileManager.default.removeItem(atPath: box + "/" + gone + ".csv.gz")
        try FileManager.default.removeItem(atPath: out + "/state/normalised/" + gone + ".events.csv.gz")
        try FileManager.default.copyItem(atPath: sampleReturns + "/ICB_health_2024-25_Q2.csv.gz", toPath: box + "/ICB_health_2024-25_Q2.csv.gz")
        let r2 = try merge(box, out: out)
        #expect(r2.notices.contains { $0.hasPrefix(gone + ".csv.gz") && $0.contains("put the file back in the inbox") }, "\(r2.notices)")
        let html = try String(contentsOfFile: out + "/run-report.html", encoding: .utf8)
        #expect(html.contains("put the file back in the inbox"))
    }

    @Test("damaged normalised files in the state (cut short, a block header overwritten) are made again like lost ones")
    func damagedCache() throws {
        let box = try inbox { smallPartners($0) && $0.contains("_Q1") }
        let out = tempDir()
        _ = try merge(box, out: out)
        let reference = tempDir()  // the same nights, nothing damaged
        _ = try merge(box, out: reference)
        let cache = out + "/state/normalised/"
        func cut(_ file: String, to keep: (Int) -> Int) throws {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: cache + file))
            try bytes.prefix(keep(bytes.count)).write(to: URL(fileURLWithPath: cache + file))
        }
        try cut("RCC_council_2024-25_Q1.events.csv.gz") { $0 / 2 }  // stored blocks, cut
        try cut("ICB_health_2024-25_Q1.identifiers.csv.gz") { $0 - 3 }  // its trailer cut
        let rejects = try #require(try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
            .first { $0.hasSuffix(".rejects.csv.gz") && !["RCC_", "ICB_", "UHL_"].contains(where: $0.hasPrefix) })
        try cut(rejects) { $0 - 10 }  // compressed, cut
        var header = try Data(contentsOf: URL(fileURLWithPath: cache + "UHL_health_2024-25_Q1.events.csv.gz"))
        header[12] ^= 0xFF  // the first block's length no longer matches its check
        try header.write(to: URL(fileURLWithPath: cache + "UHL_health_2024-25_Q1.events.csv.gz"))
        let newcomer = "UHL_health_2024-25_Q2.csv.gz"
        try FileManager.default.copyItem(atPath: sampleReturns + "/" + newcomer, toPath: box + "/" + newcomer)
        let r = try merge(box, out: out)
        let damaged = r.notices.filter { $0.contains("are damaged") && $0.contains("made again from the inbox") }
        #expect(damaged.count == 4, "\(r.notices)")
        for stem in ["RCC_council_2024-25_Q1", "ICB_health_2024-25_Q1", String(rejects.dropLast(".rejects.csv.gz".count)), "UHL_health_2024-25_Q1"] {
            #expect(damaged.contains { $0.hasPrefix(stem + ".csv.gz") }, "\(stem)")
        }
        #expect(r.notices.allSatisfy { !$0.contains("send the whole file again") })
        _ = try merge(box, out: reference)
        #expect(try datasetFiles(out)["lineage.csv.gz"] == datasetFiles(reference)["lineage.csv.gz"])
        #expect(try datasetFiles(out)["events.csv.gz"] == datasetFiles(reference)["events.csv.gz"])
        // A byte changed inside a block's data: its checksum no longer
        // matches, found before the night, and it is made again too.
        var inside = try Data(contentsOf: URL(fileURLWithPath: cache + "ICB_health_2024-25_Q1.events.csv.gz"))
        inside[15 + min(3_000, (inside.count - 23) / 2)] ^= 0x01  // in the first block, past its header
        try inside.write(to: URL(fileURLWithPath: cache + "ICB_health_2024-25_Q1.events.csv.gz"))
        try FileManager.default.copyItem(atPath: sampleReturns + "/ICB_health_2024-25_Q2.csv.gz", toPath: box + "/ICB_health_2024-25_Q2.csv.gz")
        let r2 = try merge(box, out: out)
        #expect(r2.notices.contains { $0.hasPrefix("ICB_health_2024-25_Q1.csv.gz") && $0.contains("checksum") && $0.contains("made again from the inbox") }, "\(r2.notices)")
        #expect(r2.notices.allSatisfy { !$0.contains("delete its files in") })
        // Its cache cut and the file in the inbox replaced by one that cannot
        // be read: the return is left out whole and named, not read in part.
        let lost = "BARNARDOS_vcs_2024-25_Q1"
        try cut(lost + ".events.csv.gz") { $0 / 2 }
        try Data([0x1F, 0x8B, 8, 0]).write(to: URL(fileURLWithPath: box + "/" + lost + ".csv.gz"))
        let r3 = try merge(box, out: out)
        #expect(r3.notices.filter { $0.hasPrefix(lost + ".csv.gz") && $0.contains("send the return again") }.count == 1, "\(r3.notices)")
        #expect(r3.notices.allSatisfy { !$0.contains("normalise the return again") && !$0.contains("run llr-normalise") })
        #expect(!table(out + "/lineage.csv.gz").contains { $0["source_file"] == lost + ".csv.gz" })
        let quality = try #require(table(out + "/quality.csv.gz").first { $0["file"] == lost + ".csv.gz" })
        #expect(quality["return_status"] == "left out tonight" && quality["rows_read"] == "" && quality["field_completeness_pct"] == "")
    }

    @Test("cached rows made again are checked as of the day they first were, so they come out as they did")
    func remadeAsFirstChecked() throws {
        let name = "RCC_council_2024-25_Q2"
        let box = try inbox { $0 == name + ".csv.gz" }
        let out = tempDir()
        // Mid-quarter: rows dated after 13 September are in the future, and rejected.
        _ = try merge(box, out: out, night: CivilDate(year: 2024, month: 9, day: 13))
        let before = table(out + "/lineage.csv.gz").filter { $0["status"] == "rejected" }.count
        let entry = try #require(try Ledger(path: out + "/state/ledger.sqlite").entries().first)
        #expect(entry.checkedAsOf == "2024-09-13" && entry.rowsRejected == before)
        try FileManager.default.removeItem(atPath: out + "/state/normalised")
        try FileManager.default.copyItem(atPath: sampleReturns + "/ICB_health_2024-25_Q2.csv.gz", toPath: box + "/ICB_health_2024-25_Q2.csv.gz")
        let later = try merge(box, out: out, night: CivilDate(year: 2024, month: 11, day: 20))
        #expect(later.notices.contains { $0.hasPrefix(name) && $0.contains("made again from the inbox") })
        let rows = table(out + "/lineage.csv.gz").filter { $0["source_file"] == name + ".csv.gz" }
        #expect(rows.filter { $0["status"] == "rejected" }.count == before && before > 1)
        // A ledger from before the date was kept gains the column, empty, and still reads.
        let db = try SQLiteDatabase(path: out + "/state/ledger.sqlite")
        try db.execute("ALTER TABLE return_file DROP COLUMN checked_as_of")
        let reopened = try Ledger(path: out + "/state/ledger.sqlite").entries()
        #expect(reopened.count == 2 && reopened.allSatisfy { $0.checkedAsOf.isEmpty })
    }

    @Test("a ledger that counts one return as read twice (written before the rule) is mended on the next night")
    func doubledLedgerIsMended() throws {
        let box = try inbox { $0 == "UAVA_vcs_2024-25_Q2.csv.gz" }
        let out = tempDir()
        _ = try merge(box, out: out)
        // As an earlier version left it: the same return read as .csv on run 0, still counted.
        let db = try SQLiteDatabase(path: out + "/state/ledger.sqlite")
        try db.execute("""
            INSERT INTO return_file SELECT 'UAVA_vcs_2024-25_Q2.csv', 'old', partner, family, period, version, bytes, received, 0, status,
                rows, rows_rejected, errors, warnings, duplicates, events, findings, completeness, problem, checked_as_of FROM return_file
            """)
        try FileManager.default.copyItem(atPath: sampleReturns + "/ICB_health_2024-25_Q2.csv.gz", toPath: box + "/ICB_health_2024-25_Q2.csv.gz")
        let r = try merge(box, out: out)
        let entries = try Ledger(path: out + "/state/ledger.sqlite").entries().filter { $0.fileName.hasPrefix("UAVA") }
        #expect(entries.map(\.status.rawValue).sorted() == ["processed", "replaced"])
        #expect(entries.first { $0.wasRead }?.fileName == "UAVA_vcs_2024-25_Q2.csv.gz")
        let quality = try #require(r.quality.first { $0.partner == "UAVA" && $0.quarter.quarter == 2 })
        #expect(quality.file == "UAVA_vcs_2024-25_Q2.csv.gz")
    }

    @Test("a corrupt file and a misnamed file become findings; the night still completes")
    func badFiles() throws {
        let box = try inbox(smallPartners)
        let good = try Data(contentsOf: URL(fileURLWithPath: sampleReturns + "/LP_police_2024-25_Q1.csv.gz"))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: box + "/LP_police_2024-25_Q1.csv.gz"))  // truncated gzip
        try Data("not a return".utf8).write(to: URL(fileURLWithPath: box + "/notes from UHL.txt"))
        try Data("odd".utf8).write(to: URL(fileURLWithPath: box + "/line\nbreak.csv"))
        try Data([0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFF]).write(to: URL(fileURLWithPath: box + "/LP_police_2024-25_Q2.csv.gz"))
        let out = tempDir()
        let r = try merge(box, out: out)
        let byName = Dictionary(uniqueKeysWithValues: r.files.map { ($0.file.name, $0.entry) })
        #expect(byName["LP_police_2024-25_Q1.csv.gz"]?.status == .failed)
        #expect(byName["LP_police_2024-25_Q1.csv.gz"]?.problem.contains("compression-error") == true)
        #expect(byName["LP_police_2024-25_Q2.csv.gz"]?.status == .failed)
        #expect(byName["notes from UHL.txt"]?.status == .unrecognised)
        #expect(r.dedupe != nil)
        #expect(table(out + "/lineage.csv.gz").allSatisfy { !$0["source_file"]!.hasPrefix("LP_") })
        #expect(r.quality.first { $0.partner == "LP" && $0.quarter.quarter == 1 }?.status == "unreadable")
        #expect(FileManager.default.fileExists(atPath: out + "/outbox/LP/LP_police_2024-25_Q1.report.html"))
        #expect(FileManager.default.fileExists(atPath: out + "/outbox/_unrecognised/notes from UHL.txt.report.json"))
        #expect(byName["line\nbreak.csv"]?.status == .unrecognised)
        #expect(FileManager.default.fileExists(atPath: out + "/outbox/_unrecognised/line_break.csv.report.json"))
        let html = try String(contentsOfFile: out + "/run-report.html", encoding: .utf8)
        #expect(html.contains("LP_police_2024-25_Q1.csv.gz</b>: failed"))

        // The partner sends it again, whole: it goes in.
        try FileManager.default.removeItem(atPath: box + "/LP_police_2024-25_Q1.csv.gz")
        try good.write(to: URL(fileURLWithPath: box + "/LP_police_2024-25_Q1.csv.gz"))
        let fixed = try merge(box, out: out)
        #expect(fixed.files.first { $0.file.name == "LP_police_2024-25_Q1.csv.gz" }?.entry.status == .processed)
        #expect(table(out + "/lineage.csv.gz").contains { $0["source_file"] == "LP_police_2024-25_Q1.csv.gz" })
    }

    @Test("the same return twice in the inbox (X.csv beside X.csv.gz) is taken once; the extra copy gets feedback")
    func sameReturnTwice() throws {
        let box = try inbox { $0.hasPrefix("UAVA_") }
        let gz = "UAVA_vcs_2024-25_Q1.csv.gz"
        try gunzip(box + "/" + gz).write(toFile: box + "/UAVA_vcs_2024-25_Q1.csv", atomically: true, encoding: .utf8)
        let out = tempDir()
        let r = try merge(box, out: out)
        let byName = Dictionary(uniqueKeysWithValues: r.files.map { ($0.file.name, $0.entry) })
        #expect(byName[gz]?.status == .processed)
        #expect(byName["UAVA_vcs_2024-25_Q1.csv"]?.status == .unrecognised)
        #expect(byName["UAVA_vcs_2024-25_Q1.csv"]?.problem.contains("only \(gz) is taken") == true)
        let lineage = table(out + "/lineage.csv.gz").filter { $0["source_file"]!.hasPrefix("UAVA_vcs_2024-25_Q1") }
        #expect(lineage.count == byName[gz]?.rows)
        #expect(Set(lineage.map { $0["source_file"]! }) == [gz])
        let q1 = r.quality.first { $0.partner == "UAVA" && $0.quarter.quarter == 1 }
        #expect(q1?.file == gz && q1?.rows == byName[gz]?.rows)
        let taken = try String(contentsOfFile: out + "/outbox/UAVA/UAVA_vcs_2024-25_Q1.report.json", encoding: .utf8)
        let extra = try String(contentsOfFile: out + "/outbox/UAVA/UAVA_vcs_2024-25_Q1.csv.report.json", encoding: .utf8)
        #expect(taken.contains(gz) && extra.contains("UAVA_vcs_2024-25_Q1.csv\""))
    }

    @Test("a second merge on the same state refuses to start while one runs")
    func lock() throws {
        let out = tempDir()
        try FileManager.default.createDirectory(atPath: out + "/state", withIntermediateDirectories: true)
        let held = try MergeLock(stateDir: out + "/state")
        #expect(throws: MergeFailure.self) { _ = try merge(try inbox(smallPartners), out: out) }
        #expect(!FileManager.default.fileExists(atPath: out + "/events.csv.gz"))
        withExtendedLifetime(held) {}
    }

    @Test("a run stopped before its commit leaves the last dataset; one stopped after is completed by the next")
    func interruptedRuns() throws {
        let box = try inbox(smallPartners)
        let out = tempDir()
        _ = try merge(box, out: out)
        let good = try datasetFiles(out)
        // Stopped while building: a staging folder with no manifest.
        try FileManager.default.createDirectory(atPath: out + "/.staging/published", withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/.staging/events.csv.gz"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/.staging/published/events.csv"))
        let r = try merge(box, out: out)
        #expect(r.notices.contains { $0.contains("discarded") })
        #expect(try datasetFiles(out) == good)
        // Stopped while moving: the manifest was written, one file moved, one not.
        try FileManager.default.createDirectory(atPath: out + "/.staging", withIntermediateDirectories: true)
        try Data("new quality".utf8).write(to: URL(fileURLWithPath: out + "/.staging/quality.csv.gz"))
        try Data("events.csv.gz\nquality.csv.gz\n".utf8).write(to: URL(fileURLWithPath: out + "/.staging/MANIFEST"))
        _ = try merge(box, out: out, dryRun: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/quality.csv.gz")) == Data("new quality".utf8))
        #expect(!FileManager.default.fileExists(atPath: out + "/.staging"))
    }

    @Test("a merge process killed part-way leaves the last dataset whole, and the next run completes")
    func killedProcess() throws {
        let box = try inbox { smallPartners($0) && $0.contains("_Q1") }
        let out = tempDir()
        _ = try merge(box, out: out)
        let reference = tempDir()  // the same two nights, not killed
        _ = try merge(box, out: reference)
        let before = try datasetFiles(out)
        for name in try FileManager.default.contentsOfDirectory(atPath: sampleReturns) where smallPartners(name) && name.contains("_Q2") {
            try FileManager.default.copyItem(atPath: sampleReturns + "/" + name, toPath: box + "/" + name)
        }
        _ = try merge(box, out: reference)
        let complete = try datasetFiles(reference)
        for delay in [0.15, 0.4, 0.8] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: packageRoot + "/.build/debug/llr-merge")
            p.arguments = ["--inbox", box, "--out", out, "--demo-key", "--as-of", "2024-11-15", "--jobs", "2", "--log-level", "error"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            // Whatever the moment: the events are the old night's or the new night's, never a mixture of half a file.
            let events = try Data(contentsOf: URL(fileURLWithPath: out + "/events.csv.gz"))
            #expect(events == before["events.csv.gz"] || events == complete["events.csv.gz"])
        }
        _ = try merge(box, out: out)
        let after = try datasetFiles(out)
        for k in complete.keys where !k.hasPrefix("outbox") && !k.hasPrefix("rejects") {
            #expect(after[k] == complete[k], "\(k) differs from a clean run")
        }
    }

    @Test("--dry-run lists the inbox and writes nothing")
    func dryRun() throws {
        let out = tempDir() + "/night"
        let r = try merge(try inbox(smallPartners), out: out, dryRun: true)
        #expect(!r.files.isEmpty && r.files.allSatisfy { $0.action == .new })
        #expect(!FileManager.default.fileExists(atPath: out), "a first dry run creates no folder, lock or ledger")
        _ = try merge(try inbox(smallPartners), out: out)
        let before = try datasetFiles(out)
        let ledgerBefore = try Ledger(path: out + "/state/ledger.sqlite").entries().count
        let again = try merge(try inbox(smallPartners), out: out, dryRun: true)
        #expect(!again.files.isEmpty && again.files.allSatisfy { $0.action == .unchanged })
        #expect(try datasetFiles(out) == before)
        #expect(try Ledger(path: out + "/state/ledger.sqlite").entries().count == ledgerBefore)
    }
}

/// Four nights a month apart in a seeded random order, as an inbox lives:
/// returns arrive a few at a time, are sent again cut to half their rows or
/// as plain `.csv`, are renamed, taken away, replaced by bytes that are not
/// a return, sent empty or as a link; a folder appears; the state's cached
/// rows are cut or lost. Every night completes; each row of every return
/// the ledger counts (less any the report says it left out) is in the
/// lineage exactly once, and no other; the quality table's counts are the
/// lineage's; the night run again finds nothing new and changes nothing.
/// The seeds are 5, 10, 12 and 23 (each found a fault fixed since); for a
/// longer search, `LLR_NIGHTS_SEEDS=1-500 swift test --filter NightsTests`
/// (`story` in a failure says what happened, night by night).
@Suite("llr-merge over a run of nights", .serialized)
struct NightsTests {
    static let seeds: [UInt64] = {
        let range = (ProcessInfo.processInfo.environment["LLR_NIGHTS_SEEDS"] ?? "").split(separator: "-").compactMap { UInt64($0) }
        return range.count == 2 && range[0] <= range[1] ? Array(range[0]...range[1]) : [5, 10, 12, 23]
    }()

    @Test(arguments: seeds) func everyNightAccountsForEveryRow(seed: UInt64) throws {
        var rng = SynthRandom(seed: seed), more = SynthRandom.derived(seed: seed, 1)
        var pending = try FileManager.default.contentsOfDirectory(atPath: sampleReturns).filter(smallPartners).sorted()
        for i in pending.indices.reversed() { pending.swapAt(i, rng.below(i + 1)) }
        let box = tempDir(), out = tempDir()
        var story: [String] = [], notices: [String] = []
        for night in 1...4 {
            for _ in 0..<(1 + rng.below(4)) where !pending.isEmpty {
                let name = pending.removeLast()
                try? FileManager.default.removeItem(atPath: box + "/" + name)  // an empty file sent before it
                try FileManager.default.copyItem(atPath: sampleReturns + "/" + name, toPath: box + "/" + name)
                story.append("\(night): add \(name)")
            }
            let present = try FileManager.default.contentsOfDirectory(atPath: box).sorted().filter { $0 != "old" }  // not the folder
            if !present.isEmpty && rng.chance(0.4), case let name = rng.pick(present), FileManager.default.fileExists(atPath: sampleReturns + "/" + name) {
                let lines = try gunzip(sampleReturns + "/" + name).split(separator: "\n", omittingEmptySubsequences: false)
                try Data(gzipCompress(Array(lines.prefix(max(2, lines.count / 2)).joined(separator: "\n").utf8))).write(to: URL(fileURLWithPath: box + "/" + name))
                story.append("\(night): send \(name) again with half its rows")
            }
            if !present.isEmpty && rng.chance(0.25) {
                let name = rng.pick(present)
                try? FileManager.default.removeItem(atPath: box + "/" + name)
                story.append("\(night): remove \(name)")
            }
            if !present.isEmpty && rng.chance(0.2) {
                let name = rng.pick(present)
                try Data([0x1F, 0x8B, 8] + Array("not a return".utf8)).write(to: URL(fileURLWithPath: box + "/" + name))
                story.append("\(night): garble \(name)")
            }
            let cached = out + "/state/normalised/" + returnStem(present.isEmpty ? "" : rng.pick(present)) + ".events.csv.gz"
            if FileManager.default.fileExists(atPath: cached) && rng.chance(0.3) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: cached))
                try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cached))
                story.append("\(night): cut the state's \(baseName(cached))")
            }
            // Further ways, drawn from a second stream so the ones above
            // (and the seeds chosen for them) stay as they were.
            let now = try FileManager.default.contentsOfDirectory(atPath: box).sorted().filter { $0.hasSuffix(".csv.gz") }
            if !now.isEmpty && more.chance(0.15) {
                let name = more.pick(now)
                if let text = try? gunzip(box + "/" + name) {
                    try FileManager.default.removeItem(atPath: box + "/" + name)
                    try Data(text.utf8).write(to: URL(fileURLWithPath: box + "/" + String(name.dropLast(3))))
                    story.append("\(night): send \(name) as plain .csv")
                }
            }
            if !now.isEmpty && more.chance(0.1) {
                let name = more.pick(now)
                try? FileManager.default.moveItem(atPath: box + "/" + name, toPath: box + "/copy of " + name)
                story.append("\(night): rename \(name) to 'copy of'")
            }
            if more.chance(0.1) {
                try? FileManager.default.removeItem(atPath: out + "/state/normalised")
                story.append("\(night): lose the state's normalised rows")
            }
            if !pending.isEmpty && more.chance(0.1) {
                let name = more.pick(pending)
                try Data().write(to: URL(fileURLWithPath: box + "/" + name))
                story.append("\(night): an empty \(name)")
            }
            if !pending.isEmpty && more.chance(0.1) {
                // To a copy elsewhere: later nights write over the inbox's files.
                let name = pending.remove(at: more.below(pending.count)), elsewhere = tempDir() + "/" + name
                try FileManager.default.copyItem(atPath: sampleReturns + "/" + name, toPath: elsewhere)
                try? FileManager.default.removeItem(atPath: box + "/" + name)
                try? FileManager.default.createSymbolicLink(atPath: box + "/" + name, withDestinationPath: elsewhere)
                story.append("\(night): \(name) as a link")
            }
            if more.chance(0.05) {
                try? FileManager.default.createDirectory(atPath: box + "/old", withIntermediateDirectories: true)
                story.append("\(night): a folder in the inbox")
            }
            let jobs = 1 + rng.below(2)
            let date = CivilDate(year: 2024, month: 8 + night, day: 1 + more.below(28))
            let tonight = try merge(box, out: out, jobs: jobs, night: date)
            if !tonight.nothingNew { notices = tonight.notices }  // else the last report stands
            let lineage = FileManager.default.fileExists(atPath: out + "/lineage.csv.gz") ? table(out + "/lineage.csv.gz") : []
            var perFile: [String: Int] = [:], rows = Set<String>()
            for row in lineage {
                perFile[row["source_file"]!, default: 0] += 1
                rows.insert(row["source_file"]! + "#" + row["source_row"]!)
            }
            #expect(rows.count == lineage.count, "a row twice in the lineage, seed \(seed): \(story)")
            // Less any return the night's report says it left out.
            let leftOut = Set(notices.filter { $0.contains("not in tonight's dataset") }.map { String($0.prefix { $0 != ":" }) })
            let counted = try Ledger(path: out + "/state/ledger.sqlite").entries().filter { $0.wasRead && !leftOut.contains($0.fileName) }
            #expect(Set(counted.map(\.fileName)).count == counted.count, "seed \(seed): \(story) \(counted.map { ($0.fileName, $0.status, $0.firstRun, $0.rows) })")
            #expect(perFile == Dictionary(counted.map { ($0.fileName, $0.rows) }, uniquingKeysWith: +), "seed \(seed): \(story)")
            // The quality table's counts for each return it counts are the
            // lineage's; a return left out is marked so, with no counts.
            if FileManager.default.fileExists(atPath: out + "/quality.csv.gz") {
                for q in table(out + "/quality.csv.gz") where leftOut.contains(q["file"]!) {
                    #expect(q["return_status"] == "left out tonight" && q["rows_read"] == "", "\(q) seed \(seed): \(story)")
                }
                for q in table(out + "/quality.csv.gz") where !(q["rows_read"] ?? "").isEmpty {
                    let mine = lineage.filter { $0["source_file"] == q["file"] }
                    let counts = [mine.count, mine.filter { $0["status"] == "rejected" }.count, mine.filter { $0["status"] == "duplicate" }.count]
                    #expect([q["rows_read"], q["rows_rejected"], q["duplicates_removed"]].map { Int($0 ?? "") ?? -1 } == counts, "\(q) seed \(seed): \(story)")
                }
            }
            let before = try datasetFiles(out)
            #expect(try merge(box, out: out, jobs: 3 - jobs, night: date).nothingNew, "seed \(seed): \(story)")
            #expect(try datasetFiles(out) == before, "seed \(seed): \(story)")
        }
    }
}

@Suite("indicators and suppression")
struct IndicatorTests {
    func row(_ la: String, _ children: Int, total: Bool = false) -> IndicatorRow {
        IndicatorRow(financialYear: "2024-25", quarter: "Q1", laCode: la, laName: la, eventType: "REFERRAL", events: children,
                     children: children, repeatChildren: 0, population: 1000, isTotal: total)
    }

    @Test("one small area is hidden with the next smallest, so the total cannot give it back")
    func secondary() {
        let rows = [row("LLR", 60, total: true), row("A", 3), row("B", 7), row("C", 50)]
        let s = Suppression(rows, settings: settings)
        #expect(s.withheld[1][1] && s.withheld[2][1] && !s.withheld[3][1] && !s.withheld[0][1])
    }

    @Test("events and children are counted per quarter, area and type; more distinct values than keys can hold stop the count, not skew it")
    func counting() throws {
        let path = tempDir() + "/events.csv"
        let header = "llr_event_id,llr_person_id,event_type,financial_year,quarter,la_code,la_name\n"
        let rows = ["e1,p1,REFERRAL,2024-25,Q1,E1,A", "e2,p1,REFERRAL,2024-25,Q1,E1,A", "e3,p2,REFERRAL,2024-25,Q1,E2,B",
                    "e4,p2,CP_PLAN,2024-25,Q1,E2,B"]
        try (header + rows.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let counted = try computeIndicators(eventsPath: path, mappings: contract.mappings, settings: settings)
        let a = try #require(counted.first { $0.laCode == "E1" && $0.eventType == "REFERRAL" })
        #expect(a.events == 2 && a.children == 1 && a.repeatChildren == 1)
        let all = try #require(counted.first { $0.isTotal && $0.eventType == "ALL" })
        #expect(all.events == nil && all.children == 2 && all.repeatChildren == 2)
        #expect(throws: MergeFailure.self) { try computeIndicators(eventsPath: path, mappings: contract.mappings, settings: settings, distinctLimit: 1) }
    }

    @Test("two small areas hide each other; zeros and counts of 5 or more stay")
    func primary() {
        let rows = [row("LLR", 63, total: true), row("A", 3), row("B", 4), row("C", 0), row("D", 56)]
        let s = Suppression(rows, settings: settings)
        #expect(s.withheld.map { $0[1] } == [false, true, true, false, false])
    }

    @Test("a return is late when its first version came after the due date; a later correction does not make it late")
    func lateness() {
        func entry(_ file: String, _ version: Int, _ received: String, _ status: String = "processed") -> LedgerEntry {
            LedgerEntry(fileName: file, sha256: file, partner: "UHL", family: "health", period: "2024-25_Q1", version: version,
                        bytes: 1, received: received, firstRun: version, status: LedgerStatus(rawValue: status)!)
        }
        let asOf = CivilDate(year: 2024, month: 11, day: 1)
        func status(_ ledger: [LedgerEntry]) -> QualityRow? {
            qualityRows(ledger: ledger, registry: contract.registry, settings: settings, asOf: asOf).first { $0.partner == "UHL" && $0.quarter.quarter == 1 }
        }
        let corrected = status([entry("UHL_health_2024-25_Q1.csv.gz", 1, "2024-07-14", "superseded"), entry("UHL_health_2024-25_Q1_v2.csv.gz", 2, "2024-08-20")])
        #expect(corrected?.status == "on time" && corrected?.version == 2 && corrected?.firstReceived == "2024-07-14")
        #expect(status([entry("UHL_health_2024-25_Q1.csv.gz", 1, "2024-08-02")])?.status == "late")
        #expect(status([entry("UHL_health_2024-25_Q1.csv.gz", 1, "2024-08-02", "failed")])?.status == "unreadable")
        #expect(status([])?.status == "missing")
    }

    @Test("returns are due 30 days after the quarter; a quarter with nothing is missing once due")
    func schedule() {
        let q1 = FinancialQuarter("2024-25_Q1")!
        #expect(settings.dueDate(q1) == CivilDate(year: 2024, month: 7, day: 30))
        let rows = qualityRows(ledger: [], registry: contract.registry, settings: settings, asOf: CivilDate(year: 2024, month: 8, day: 1))
        #expect(rows.count == contract.registry.partners.count)
        #expect(rows.allSatisfy { $0.status == "missing" && $0.quarter == q1 })
    }
}

@Suite("Pipelines/ as llr-merge reads it")
struct ContractSettingsTests {
    /// What llr-merge loads, in its order; the first error.
    func contractError(_ dir: String) -> PipelineError? {
        do {
            _ = try MergeContract.load(from: dir)
            return nil
        } catch { return error }
    }

    /// Numbers in Pipelines/ that would make a night wrong, endless or a
    /// crash are refused at load, with the file and line. (A population of 0
    /// made every rate for the area infinite, and the run report's chart of
    /// rates never finished drawing.)
    @Test(arguments: [
        ("mappings.yaml", "  E06000016: 82000", "  E06000016: 0", "must be a whole number above 0"),
        ("mappings.yaml", "  E06000016: 82000", "  E06000016: -5", "must be a whole number above 0"),
        ("mappings.yaml", "  E06000016: 82000", "  E06000016: many", "must be a whole number"),
        ("mappings.yaml", "  E06000017: 7800", "  E06000017: 7800\n  E09999999: 500", "E09999999 is not one of localAuthorities.areas"),
        ("mappings.yaml", "{label: 5-9, max: 9}", "{label: 5-9, max: 3}", "must be above the band before's (4)"),
        ("mappings.yaml", "{label: 0-4, max: 4}", "{label: 0-4, max: -4}", "the first age band's max (-4) must be 0 or above"),
        ("merge.yaml", "dueDaysAfterQuarterEnd: 30", "dueDaysAfterQuarterEnd: -5", "must be from 0 to 366"),
        ("merge.yaml", "marker: \"[c]\"", "marker: \"\"", "marker must not be empty"),
        ("merge.yaml", "minimum: 1", "minimum: -1", "minimum (-1) must be 0 or above"),
        ("linkage.yaml", "randomPairs: 200000", "randomPairs: 999999999999", "randomPairs (999999999999) must be from 0 to 10000000"),
        ("linkage.yaml", "minTrainingPairs: 200", "minTrainingPairs: -1", "must be 0 or above"),
        ("linkage.yaml", "maxBlock: 400", "maxBlock: 1", "maxBlock (1) must be 2 or above"),
        ("linkage.yaml", "matchWeight: 18", "matchWeight: .nan", "matchWeight must be a number"),
        ("linkage.yaml", "reviewWeight: 10", "reviewWeight: -.inf", "reviewWeight must be a number"),
        ("linkage.yaml", "    - [dob, forename1]", "    - []", "a blocking rule needs at least one key"),
        ("linkage.yaml", "windowDays: 1", "windowDays: -3", "windowDays (-3) must be from 0 to 366"),
        ("linkage.yaml", "families: [police, council]", "families: [police, police]", "at least two different families"),
        ("families/police.yaml", "    childMax: 17", "    childMax: -17", "0 <= childMin <= childMax <= warnMax (here 0, -17, 25)"),
        ("families/police.yaml", "    warnMax: 25", "    warnMax: 2", "0 <= childMin <= childMax <= warnMax (here 0, 17, 2)"),
        ("partners.yaml", "  - code: NSPCC", "  - code: \"\"", "partner code '' must be letters and digits only"),
        ("partners.yaml", "  - code: NSPCC", "  - code: NS_PCC", "partner code 'NS_PCC' must be letters and digits only"),
        ("partners.yaml", "  - code: NSPCC", "  - code: ../NSPCC", "partner code '../NSPCC' must be letters and digits only"),
    ])
    func settingsOutOfRange(file: String, text: String, replacement: String, message: String) throws {
        let dir = try editedPipelines(file) { original in
            #expect(original.contains(text), "the test's text is no longer in \(file)")
            return original.replacingOccurrences(of: text, with: replacement)
        }
        let e = try #require(contractError(dir))
        #expect(e.file == file)
        #expect(e.line == lineNumber(containing: replacement.components(separatedBy: "\n").last!, in: dir + "/" + file))
        #expect(e.message.contains(message), "\(e.message)")
    }

    /// A setting that names a column, field, family, event type or code
    /// list the contract does not have stops the run at its line, with the
    /// name that would fit. (`field: nhs_numbr` had turned NHS number
    /// linkage off without a word.)
    @Test(arguments: [
        ("linkage.yaml", "    field: nhs_number", "    field: nhs_numbr", "'nhs_numbr' is not an identifier field of the normalised returns. Did you mean 'nhs_number'?"),
        ("linkage.yaml", "guards: [nhs_number, upn]", "guards: [nhs_number, upm]", "guards: 'upm' is not the field of a deterministic rule. Did you mean 'upn'?"),
        ("linkage.yaml", "  - eventType: MISSING_EPISODE", "  - eventType: MISSING_EPISODES", "'MISSING_EPISODES' is not a canonical event type (mappings.yaml). Did you mean 'MISSING_EPISODE'?"),
        ("linkage.yaml", "families: [police, council]", "families: [police, counsil]", "'counsil' is not a family. Did you mean 'council'?"),
        ("mappings.yaml", "  police: {MISSING_EPISODE", "  polise: {MISSING_EPISODE", "eventTypes: 'polise' is not a family. Did you mean 'police'?"),
        ("mappings.yaml", "CHILD_PROTECTION_REFERRAL: REFERRAL}", "CHILD_PROTECTION_REFERRAL: REFERRAL, CHILD_PROTECTION_REFERAL: REFERRAL}", "'CHILD_PROTECTION_REFERAL' is not a code of police's record_type"),
        ("mappings.yaml", "  dfe_ethnicity: {", "  dfe_ethnicty: {", "ethnicity: 'dfe_ethnicty' is not a code list of codelists.yaml. Did you mean 'dfe_ethnicity'?"),
        ("mappings.yaml", "  nhs_gender: {", "  nhs_gendr: {", "sex: 'nhs_gendr' is not a code list of codelists.yaml. Did you mean 'nhs_gender'?"),
        ("families/council.yaml", "attributes: [cp_category, referral_source]", "attributes: [cp_category, referral_source, outcome]", "attributes: 'outcome' is not an event attribute of mappings.yaml"),
        ("families/vcs.yaml", "  - rule: date-order\n    start: referral_date\n    end: closed_date", "  - rule: date-order\n    start: referral_date\n    end: closed_dat", "rule date-order: 'closed_dat' is not a field of vcs. Did you mean 'closed_date'?"),
        ("families/vcs.yaml", "    codelist: vcs_sex", "    codelist: vcs_sexx", "rule free-text: 'vcs_sexx' is not a code list of codelists.yaml. Did you mean 'vcs_sex'?"),
        ("families/vcs.yaml", "    family: vcs", "    family: vsc", "rule partner-reference: 'vsc' is not a family"),
        ("families/vcs.yaml", "    when: {field: dob, empty: true}", "    when: {field: dobb, empty: true}", "rule required-when: 'dobb' is not a field of vcs. Did you mean 'dob'?"),
        ("merge.yaml", "    - eventType: MISSING_EPISODE", "    - eventType: MISING_EPISODE", "runReport.trends: 'MISING_EPISODE' is not a canonical event type (mappings.yaml). Did you mean 'MISSING_EPISODE'?"),
        ("codes.yaml", "  blank-row:", "  blank-rows:", "'blank-rows' is not a finding code the pipeline reports. Did you mean 'blank-row'?"),
    ])
    func namesNotInTheContract(file: String, text: String, replacement: String, message: String) throws {
        try settingsOutOfRange(file: file, text: text, replacement: replacement, message: message)
    }

    func lineNumber(containing text: String, in path: String) -> Int? {
        let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.components(separatedBy: "\n") ?? []
        return lines.firstIndex { $0.contains(text) }.map { $0 + 1 }
    }

    @Test func aNegativeSeedIsAsGoodAsAnyOther() throws {
        let dir = try editedPipelines("linkage.yaml") { $0.replacingOccurrences(of: "seed: 2024", with: "seed: -1") }
        #expect(try LinkageSettings.load(path: dir + "/linkage.yaml", name: "linkage.yaml").seed == UInt64.max)
    }
}

@Suite("run report charts")
struct ChartTests {
    @Test("a value that is not finite is left out of a chart, and the chart still draws")
    func valuesNotFinite() {
        #expect(SVGChart.niceCeiling(.infinity) == 1 && SVGChart.niceCeiling(.nan) == 1)
        #expect(SVGChart.niceCeiling(73) == 100 && SVGChart.niceCeiling(140) == 200)
        let svg = SVGChart.lines(xLabels: ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3"],
                                 series: [(name: "Leicester", values: [12.5, .infinity, 30]), (name: "Rutland", values: [.nan, nil, 8])])
        #expect(!svg.contains("inf") && !svg.contains("nan"))
        // Leicester's line breaks at the infinite value: two pieces of one point each, three points in all.
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3)
        // The axis is scaled to the finite values: its top line is 50.
        #expect(svg.contains(">50</text>"))
    }

    @Test("labels are escaped inside the SVG")
    func labelsEscaped() {
        let svg = SVGChart.horizontalBars([(label: "A&B <script>", value: 3, text: "3 \"rows\"")])
        #expect(svg.contains("A&amp;B &lt;script&gt;") && !svg.contains("<script>") && svg.contains("3 &quot;rows&quot;"))
    }
}

@Suite("llr-merge command line")
struct MergeCommandTests {
    func run(_ args: [String]) throws -> (Int32, String) {
        let r = try runTool("llr-merge", args)
        return (r.status, r.text)
    }

    @Test("help names every option; mistakes exit 2 with the fix")
    func helpAndMistakes() throws {
        let (status, help) = try run(["--help"])
        #expect(status == 0)
        for option in ["--inbox", "--out", "--state", "--jobs", "--as-of", "--key-file", "--demo-key", "--dry-run", "--log-level"] {
            #expect(help.contains(option), "\(option) missing from --help")
        }
        let (s1, m1) = try run(["--inbox", "/nonexistent/inbox", "--out", tempDir(), "--demo-key"])
        #expect(s1 == 2 && m1.contains("is not a folder"))
        let (s2, m2) = try run(["--inbox", try inbox(smallPartners), "--out", tempDir()])
        #expect(s2 == 2 && m2.contains("LLR_PSEUDONYM_KEY"), "\(m2)")
        let (s3, m3) = try run(["--inbox", try inbox(smallPartners), "--out", tempDir(), "--demo-key", "--as-of", "31/10/2024"])
        #expect(s3 == 2 && m3.contains("2024-10-25"))
    }

    @Test("the dataset or the state in the inbox, or the inbox inside them, is refused before anything is written")
    func foldersThatClash() throws {
        let box = try inbox(smallPartners)
        let before = try FileManager.default.contentsOfDirectory(atPath: box).sorted()
        let parent = tempDir()
        // The same folder by another spelling is still the same folder.
        try FileManager.default.createSymbolicLink(atPath: parent + "/link", withDestinationPath: box)
        for (args, message) in [(["--out", box], "--out is the inbox"), (["--out", parent + "/link/"], "--out is the inbox"),
                                (["--out", tempDir(), "--state", box + "/./"], "--state is the inbox"),
                                (["--out", parentDirectory(box)], "is inside --out")] {
            let (status, text) = try run(["--inbox", box, "--demo-key"] + args)
            #expect(status == 2 && text.contains(message), "\(args): \(text)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: box).sorted() == before)
        #expect(folderClash(inbox: box, out: box + "/night", state: box + "/night/state") == nil, "a dataset in a folder of the inbox is not among its files")
        #expect(folderClash(inbox: "/a/inbox", out: "/a/inbox-out", state: "/a/state") == nil)
        #expect(folderClash(inbox: "/a/inbox", out: "/a/out/../inbox", state: "/a/state") != nil)
    }

    @Test("while one merge holds the state, a second merge process refuses to start and says why")
    func concurrentProcess() throws {
        let out = tempDir()
        try FileManager.default.createDirectory(atPath: out + "/state", withIntermediateDirectories: true)
        do {
            let held = try MergeLock(stateDir: out + "/state")
            let (status, message) = try run(["--inbox", try inbox(smallPartners), "--out", out, "--demo-key"])
            #expect(status == 2 && message.contains("another merge is running") && message.contains("\(getpid())"), "\(message)")
            #expect(!FileManager.default.fileExists(atPath: out + "/events.csv.gz"))
            withExtendedLifetime(held) {}
        }
        // Released: the next merge runs.
        let (after, _) = try run(["--inbox", try inbox(smallPartners), "--out", out, "--demo-key", "--as-of", "2024-10-31"])
        #expect(after == 0)
    }

    @Test("a night, then a night with nothing new, then a dry run")
    func nights() throws {
        let box = try inbox(smallPartners), out = tempDir()
        let args = ["--inbox", box, "--out", out, "--demo-key", "--as-of", "2024-10-31", "--log-level", "error"]
        let (s1, first) = try run(args)
        #expect(s1 == 0, "\(first)")
        #expect(first.contains("run 1 as of 2024-10-31") && first.contains("run-report.html"))
        let (s2, second) = try run(args)
        #expect(s2 == 0 && second.contains("nothing new since run 1"), "\(second)")
        try Data("late".utf8).write(to: URL(fileURLWithPath: box + "/UHL_health_2024-25_Q3.csv.gz"))
        let (s3, plan) = try run(args + ["--dry-run"])
        #expect(s3 == 0 && plan.contains("new       UHL_health_2024-25_Q3.csv.gz") && plan.contains("1 would be processed"), "\(plan)")
    }
}
