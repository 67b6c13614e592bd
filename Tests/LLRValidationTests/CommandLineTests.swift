import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

/// llr-validate as a partner runs it: the built executable, its exit status,
/// and what it prints. `make test` builds the executables before the tests.
@Suite("llr-validate command line")
struct CommandLineTests {
    func run(_ args: [String]) throws -> ToolRun {
        #expect(FileManager.default.isExecutableFile(atPath: packageRoot + "/.build/debug/llr-validate"), "build first: swift build")
        return try runTool("llr-validate", args)
    }

    let samples = packageRoot + "/Tests/Fixtures/returns/"

    @Test func validFileExitsZero() throws {
        let r = try run([samples + "UHL_health_2024-25_Q1.csv.gz"])
        #expect(r.status == 0)
        #expect(r.out.contains("UHL_health_2024-25_Q1.csv.gz: VALID"))
    }

    @Test func invalidFileExitsOneAndLocatesFindings() throws {
        let r = try run(["--as-of", "2024-12-01", samples + "LPT_health_2024-25_Q1.csv.gz"])
        #expect(r.status == 1)
        #expect(r.out.contains("NOT VALID"))
        #expect(r.out.contains("row 5 column 6 dob \"2019-02-31\": error type-error: dob '2019-02-31' is not a real date (yyyy-mm-dd)  [event_id=H-2004, local_patient_id=LPT-900104]"))
        #expect(r.out.contains("Summary by code"))
    }

    @Test func jsonIsTheSpecShape() throws {
        let r = try run(["--format", "json", "--as-of", "2024-12-01", samples + "LPT_health_2024-25_Q1.csv.gz"])
        #expect(r.status == 1)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(obj["file"] as? String == "LPT_health_2024-25_Q1.csv.gz")
        #expect(obj["partner"] as? String == "LPT" && obj["family"] as? String == "health" && obj["period"] as? String == "2024-25 Q1")
        #expect(obj["version"] as? Int == 1 && obj["valid"] as? Bool == false && obj["truncated"] as? Bool == false)
        let stats = try #require(obj["stats"] as? [String: Any])
        #expect(Set(stats.keys) == ["rows", "rowsRejected", "errors", "warnings", "bytes", "seconds"])
        #expect(stats["rows"] as? Int == 11 && stats["rowsRejected"] as? Int == 10)
        let summary = try #require(obj["summary"] as? [[String: Any]])
        #expect(summary.contains { $0["code"] as? String == "nhs-number-checksum" && $0["count"] as? Int == 2 && $0["severity"] as? String == "error" })
        let findings = try #require(obj["findings"] as? [[String: Any]])
        let dob = try #require(findings.first { $0["code"] as? String == "type-error" })
        #expect(dob["rowNumber"] as? Int == 5 && dob["line"] as? Int == 5 && dob["fieldName"] as? String == "dob" && dob["fieldNumber"] as? Int == 6)
        #expect(dob["cell"] as? String == "2019-02-31")
        #expect((dob["keys"] as? [String: String]) == ["event_id": "H-2004", "local_patient_id": "LPT-900104"])
        // Keys in the spec's order.
        #expect(r.out.range(of: "\"file\"")!.lowerBound < r.out.range(of: "\"partner\"")!.lowerBound)
        #expect(r.out.range(of: "\"summary\"")!.lowerBound < r.out.range(of: "\"findings\"")!.lowerBound)
    }

    @Test func severalFilesGiveAJSONArrayAndRejectsFolder() throws {
        let dir = tempDir()
        let r = try run(["--format", "json", "--rejects", dir + "/rejects", "--output", dir + "/report.json",
                         samples + "UHL_health_2024-25_Q1.csv.gz", samples + "NSPCC_vcs_2024-25_Q1.csv.gz"])
        #expect(r.status == 1)
        let arr = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [[String: Any]])
        #expect(arr.map { $0["file"] as? String } == ["UHL_health_2024-25_Q1.csv.gz", "NSPCC_vcs_2024-25_Q1.csv.gz"])
        let rejects = try gunzip(dir + "/rejects/NSPCC_vcs_2024-25_Q1.rejects.csv.gz")
        #expect(rejects.hasPrefix("rowNumber,codes,org_code,client_ref"))
        #expect(rejects.contains("\n3,unmapped-value,Barnados Leicester,N-402,"))
        #expect(FileManager.default.fileExists(atPath: dir + "/rejects/UHL_health_2024-25_Q1.rejects.csv.gz"))
    }

    @Test func htmlIsOneSelfContainedPage() throws {
        let dir = tempDir()
        let r = try run(["--format", "html", "-o", dir + "/r.html", samples + "LEICS_council_2024-25_Q1.csv.gz"])
        #expect(r.status == 1)
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("Not valid"))
        #expect(html.contains("<code>upn-checksum</code>"))
        #expect(!html.contains("<script") && !html.contains("src=\"http"))
    }

    @Test func misnamedFileWithPartnerAndPeriod() throws {
        let path = returnFile("export.csv", Array(file(healthHeader, [health()]).utf8))
        let bad = try run([path])
        #expect(bad.status == 1)
        #expect(bad.out.contains("filename-error"))
        let ok = try run(["--partner", "UHL", "--period", "2024-25_Q1", "--as-of", "2024-12-01", path])
        #expect(ok.status == 0)
        #expect(ok.out.contains("rename it UHL_health_2024-25_Q1.csv.gz"))
    }

    @Test func toolProblemsExitTwoWithTheFixInTheMessage() throws {
        let none = try run([])
        #expect(none.status == 2 && none.err.contains("give at least one return file"))
        let period = try run(["--period", "2024_Q1", samples + "UHL_health_2024-25_Q1.csv.gz"])
        #expect(period.status == 2 && period.err.contains("write it like 2024-25_Q1"))
        let pipelines = try run(["--pipelines", "/nonexistent", samples + "UHL_health_2024-25_Q1.csv.gz"])
        #expect(pipelines.status == 2 && pipelines.err.contains("cannot read the data contract"))
        let partner = try run(["--partner", "ACME", samples + "UHL_health_2024-25_Q1.csv.gz"])
        #expect(partner.status == 2 && partner.err.contains("use one of LP, UHL"))
        let flag = try run(["--frobnicate", samples + "UHL_health_2024-25_Q1.csv.gz"])
        #expect(flag.status == 2)
    }

    @Test func helpIsReadable() throws {
        let r = try run(["--help"])
        #expect(r.status == 0)
        #expect(r.out.contains("--partner <code>") && r.out.contains("Exit status: 0 valid"))
    }

    @Test func missingFileIsAFindingNotACrash() throws {
        let r = try run(["/nonexistent/UHL_health_2024-25_Q1.csv.gz"])
        #expect(r.status == 1)
        #expect(r.out.contains("source-error") && r.out.contains("cannot open the file"))
    }
}
