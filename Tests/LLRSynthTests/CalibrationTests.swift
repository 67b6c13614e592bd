import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRSynth

/// Rows of a return as strings, by column name (test use only).
final class TableReader: RecordSink {
    var header: [String] = []
    var rows: [[String]] = []
    func consume(_ r: RecordView) {
        if r.isBlank { return }
        let cells = (0..<r.storedCount).map { r.cell($0).string() }
        if header.isEmpty { header = cells } else { rows.append(cells) }
    }
    func column(_ name: String) -> [String] {
        let i = header.firstIndex(of: name)!
        return rows.map { i < $0.count ? $0[i] : "" }
    }

    static func read(_ path: String) throws -> TableReader {
        let t = TableReader()
        let reader = CSVRecordReader()
        reader.maxStoredCells = 64
        _ = reader.read(try ReturnByteStream(path: path), into: t)
        return t
    }
}

/// At --scale 1.0 over a year, the volumes per LA are those the LLR boards publish.
@Suite("llr-synth calibration")
struct CalibrationTests {
    @Test func aYearAtScaleOneMatchesThePublishedFigures() throws {
        let quarters = ["2024-25_Q1", "2024-25_Q2", "2024-25_Q3", "2024-25_Q4"]
        let (dir, _) = try generate(quarters: quarters, scale: 1.0, seed: 3)
        let truth = try readTruth(dir)
        let personLA = Dictionary(uniqueKeysWithValues: try String(contentsOfFile: dir + "/truth/persons.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().map { line -> (String, String) in
                let c = line.split(separator: ",", omittingEmptySubsequences: false)
                return (String(c[0]), String(c[1]))
            })
        var measured: [String: Double] = [:]
        for (council, la) in [("LCC", "E06000016"), ("LEICS", "E10000018"), ("RCC", "E06000017")] {
            var contacts = 0, referrals = 0
            for q in quarters {
                let t = try TableReader.read("\(dir)/returns/\(council)_council_\(q).csv.gz")
                let types = t.column("event_type")
                contacts += types.filter { $0 == "CONTACT" }.count
                referrals += types.filter { $0 == "REFERRAL" }.count
            }
            if council == "LCC" {
                // Re-referrals: referrals of a child already referred in the last 12 months.
                var referrals: [(Int, String)] = []
                for q in quarters {
                    let t = try TableReader.read("\(dir)/returns/\(council)_council_\(q).csv.gz")
                    let fmt = try DateFormat("%d/%m/%Y")
                    for ((type, start), child) in zip(zip(t.column("event_type"), t.column("start_date")), t.column("child_id")) where type == "REFERRAL" {
                        var s = start
                        if case .value(let m) = s.withUTF8({ fmt.parse($0) }) { referrals.append((Minutes.day(m), child)) }
                    }
                }
                referrals.sort { $0.0 < $1.0 }
                var last: [String: Int] = [:]
                var again = 0
                for (day, child) in referrals {
                    if let before = last[child], day - before <= 365 { again += 1 }
                    last[child] = day
                }
                measured["E06000016 re-referral percent"] = 100 * Double(again) / Double(max(1, referrals.count))
            }
            let yearEnd = try TableReader.read("\(dir)/returns/\(council)_council_2024-25_Q4.csv.gz")
            let open = zip(yearEnd.column("event_type"), yearEnd.column("end_date")).filter { $0.1.isEmpty }.map(\.0)
            measured["\(la) contacts"] = Double(contacts)
            measured["\(la) referrals"] = Double(referrals)
            measured["\(la) on CP plans at year end"] = Double(open.filter { $0 == "CP_PLAN" }.count)
            measured["\(la) looked after at year end"] = Double(open.filter { $0 == "CLA_EPISODE" }.count)
        }
        var missingEpisodes: [String: Int] = [:], missingChildren: [String: Set<String>] = [:], cse: [String: Int] = [:]
        for q in quarters {
            let file = "LP_police_\(q).csv.gz"
            let t = try TableReader.read(dir + "/returns/" + file)
            let people = truth.filter { $0.file == file }.map(\.person)
            for (type, person) in zip(t.column("record_type"), people) {
                let la = personLA[person]!
                if type == "MISSING_EPISODE" { missingEpisodes[la, default: 0] += 1; missingChildren[la, default: []].insert(person) }
                if type == "CSE_REFERRAL" { cse[la, default: 0] += 1 }
            }
        }
        measured["E06000016 missing episodes"] = Double(missingEpisodes["E06000016"] ?? 0)
        measured["E06000016 children missing"] = Double(missingChildren["E06000016"]?.count ?? 0)
        measured["E10000018 children missing"] = Double(missingChildren["E10000018"]?.count ?? 0)
        measured["E06000017 children missing"] = Double(missingChildren["E06000017"]?.count ?? 0)
        measured["E10000018 CSE referrals"] = Double(cse["E10000018"] ?? 0)

        let published: [String: Double] = [
            "E06000016 contacts": 12200, "E06000016 referrals": 3600, "E06000016 on CP plans at year end": 408,
            "E06000016 looked after at year end": 659, "E06000016 missing episodes": 1346, "E06000016 children missing": 392,
            "E06000016 re-referral percent": 17,
            "E10000018 contacts": 22700, "E10000018 referrals": 5100, "E10000018 on CP plans at year end": 388,
            "E10000018 looked after at year end": 585, "E10000018 children missing": 739, "E10000018 CSE referrals": 315,
            "E06000017 contacts": 1400, "E06000017 referrals": 360, "E06000017 on CP plans at year end": 22,
            "E06000017 looked after at year end": 33, "E06000017 children missing": 14,
        ]
        for (name, figure) in published.sorted(by: { $0.key < $1.key }) {
            let got = measured[name] ?? 0
            #expect(abs(got - figure) <= 0.25 * figure, "\(name): \(Int(got)) against \(Int(figure))")
        }
    }
}
