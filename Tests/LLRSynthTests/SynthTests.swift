import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRSynth
@testable import LLRValidation


let settings = try! SynthSettings.load(pipelines: packageRoot + "/Pipelines")


/// Generates a dataset into a fresh folder.
func generate(quarters: [String], scale: Double, errorRate: Double = 0, resubmissions: Bool = false, seed: UInt64 = 11, children: Int? = nil) throws -> (String, SynthSummary) {
    let dir = tempDir()
    var o = SynthOptions(out: dir, quarters: quarters.compactMap { FinancialQuarter($0) })
    o.scale = scale
    o.errorRate = errorRate
    o.resubmissions = resubmissions
    o.seed = seed
    o.children = children
    return (dir, try SyntheticReturns(pipelines: contract, settings: settings, options: o).run())
}

struct TruthRow { var file: String; var row: Int; var person: String; var event: String; var injected: String }

func readTruth(_ dir: String) throws -> [TruthRow] {
    let text = try String(contentsOfFile: dir + "/truth/records.csv", encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map { line in
        let c = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return TruthRow(file: c[0], row: Int(c[1])!, person: c[2], event: c[3], injected: c[4])
    }
}

func validateAll(_ dir: String) -> [String: ValidationReport] {
    var o = ValidationOptions()
    o.maxFindings = Int.max
    var out: [String: ValidationReport] = [:]
    for f in (try? FileManager.default.contentsOfDirectory(atPath: dir + "/returns")) ?? [] {
        out[f] = validateReturn(path: dir + "/returns/" + f, pipelines: contract, options: o)
    }
    return out
}

@Suite("llr-synth")
struct SynthTests {
    /// nan and inf had crashed llr-synth, and a scale of 1e9 wrote on and on.
    @Test(arguments: [
        (["--scale", "nan"], "--scale must be above 0 and at most 1000"), (["--scale", "inf"], "--scale must be above 0"),
        (["--scale", "1e9"], "--scale must be above 0"), (["--scale", "0"], "--scale must be above 0"),
        (["--children", "99999999999"], "--children must be from 100"), (["--error-rate", "nan"], "--error-rate must be between 0 and 1"),
        (["--quarters", "2024-25_Q1,2024-25_Q1"], "names a quarter twice"),
    ])
    func impossibleOptionsExitTwoWithTheFix(args: [String], message: String) throws {
        let out = tempDir() + "/synth"
        let quarters = args.contains("--quarters") ? [] : ["--quarters", "2024-25_Q1"]
        let r = try runTool("llr-synth", ["--out", out] + quarters + args)
        #expect(r.status == 2 && r.text.contains(message), "\(r.text)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func settingsLoad() throws {
        #expect(settings.localAuthorities.map(\.council) == ["LCC", "LEICS", "RCC"])
        #expect(settings.groups.count == 9)
    }

    @Test func sameArgumentsGiveTheSameBytes() throws {
        let (a, _) = try generate(quarters: ["2024-25_Q1", "2024-25_Q2"], scale: 0.05, errorRate: 0.05, resubmissions: true)
        let (b, _) = try generate(quarters: ["2024-25_Q1", "2024-25_Q2"], scale: 0.05, errorRate: 0.05, resubmissions: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: a + "/returns").sorted()
        #expect(files == (try FileManager.default.contentsOfDirectory(atPath: b + "/returns").sorted()))
        #expect(files.contains { $0.hasSuffix("_v2.csv.gz") })
        for f in files.map({ "returns/" + $0 }) + ["truth/records.csv", "truth/persons.csv"] {
            #expect(FileManager.default.contents(atPath: a + "/" + f) == FileManager.default.contents(atPath: b + "/" + f), "\(f)")
        }
        let (c, _) = try generate(quarters: ["2024-25_Q1", "2024-25_Q2"], scale: 0.05, errorRate: 0.05, resubmissions: true, seed: 12)
        #expect(FileManager.default.contents(atPath: a + "/truth/records.csv") != FileManager.default.contents(atPath: c + "/truth/records.csv"))
    }

    @Test func everyTruthRowPointsAtARealRow() throws {
        let (dir, summary) = try generate(quarters: ["2024-25_Q3"], scale: 0.05, errorRate: 0.05, resubmissions: true)
        let truth = try readTruth(dir)
        #expect(truth.count == summary.rows)
        let reports = validateAll(dir)
        // The commentary returns hold views of the figures, not records of a child: no truth rows.
        for (file, report) in reports where !file.contains("_commentary_") {
            let rows = truth.filter { $0.file == file }.map(\.row)
            // Rows 2, 3, 4… in order, as many as the file holds (blank rows aside).
            #expect(rows == Array(2..<(2 + report.stats.rows)), "\(file)")
        }
        let persons = Set(try String(contentsOfFile: dir + "/truth/persons.csv", encoding: .utf8).split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) })
        #expect(Set(truth.map(\.person)).isSubset(of: persons))
    }

    @Test func cleanOutputIsValid() throws {
        let (dir, _) = try generate(quarters: ["2024-25_Q1", "2024-25_Q2"], scale: 0.1)
        for (file, r) in validateAll(dir) {
            #expect(r.valid && r.stats.errors == 0, "\(file): \(r.summary)")
        }
    }

    @Test func everyInjectedErrorIsFoundWhereTheTruthSays() throws {
        let (dir, summary) = try generate(quarters: ["2024-25_Q4", "2025-26_Q1"], scale: 0.1, errorRate: 0.08, resubmissions: true)
        #expect(summary.injected > 100)
        let truth = try readTruth(dir)
        let reports = validateAll(dir)
        var kinds = Set<String>()
        for t in truth {
            let found = reports[t.file]!.findings.filter { $0.rowNumber == t.row }
            if t.injected.isEmpty {
                #expect(!found.contains { $0.severity == .error }, "\(t.file) row \(t.row): unexpected \(found.map(\.code))")
            } else {
                kinds.insert(t.injected)
                #expect(found.contains { $0.code.rawValue == t.injected }, "\(t.file) row \(t.row): expected \(t.injected), found \(found.map(\.code))")
            }
        }
        #expect(kinds == ["type-error", "constraint-error", "extra-cell", "date-order", "future-date", "duplicate-row", "nhs-number-checksum", "upn-checksum"])
    }

    @Test func theSameEpisodeIsSharedByPoliceAndCouncil() throws {
        let (dir, _) = try generate(quarters: ["2024-25_Q1"], scale: 0.2)
        let truth = try readTruth(dir)
        var filesByEvent: [String: Set<String>] = [:]
        for t in truth { filesByEvent[t.event, default: []].insert(String(t.file.prefix(while: { $0 != "_" }))) }
        let shared = filesByEvent.values.filter { $0.contains("LP") && ($0.contains("LCC") || $0.contains("LEICS") || $0.contains("RCC")) }
        #expect(shared.count > 20)
    }
}

@Suite("SampleData")
struct SampleDataTests {
    /// The committed sample is what the generator makes from the arguments
    /// in the Makefile, byte for byte.
    @Test func committedSampleMatchesTheGenerator() throws {
        let makefile = try String(contentsOfFile: packageRoot + "/Makefile", encoding: .utf8)
        let line = try #require(makefile.split(separator: "\n").first { $0.hasPrefix("SAMPLE_ARGS :=") })
        let args = line.split(separator: " ").map(String.init)
        func value(_ flag: String) -> String? { args.firstIndex(of: flag).map { args[$0 + 1] } }
        let dir = tempDir()
        var o = SynthOptions(out: dir, quarters: try #require(value("--quarters")).split(separator: ",").compactMap { FinancialQuarter(String($0)) })
        o.scale = Double(try #require(value("--scale")))!
        o.seed = UInt64(try #require(value("--seed")))!
        o.errorRate = Double(try #require(value("--error-rate")))!
        o.resubmissions = args.contains("--resubmissions")
        _ = try SyntheticReturns(pipelines: contract, settings: settings, options: o).run()
        let committed = packageRoot + "/SampleData"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/returns").sorted()
        #expect(files == (try FileManager.default.contentsOfDirectory(atPath: committed + "/returns").sorted()), "run make sample-data")
        for f in files.map({ "returns/" + $0 }) + ["truth/records.csv", "truth/persons.csv"] {
            #expect(FileManager.default.contents(atPath: dir + "/" + f) == FileManager.default.contents(atPath: committed + "/" + f), "\(f) differs: run make sample-data")
        }
    }
}
