import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

/// Files that are not what they claim. Each must end in a located finding and
/// an invalid verdict, quickly, with bounded memory, and never crash or hang.
@Suite("Hostile files")
struct HostileFileTests {
    func check(_ path: String, _ opts: ValidationOptions = options()) -> ValidationReport {
        let r = validateReturn(path: path, pipelines: contract, options: opts)
        #expect(!r.valid)
        #expect(r.findings.allSatisfy { !$0.message.isEmpty })
        return r
    }

    @Test func emptyFile() {
        // A gzip of nothing, and a file of zero bytes.
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", []))
        let empty = tempDir() + "/UHL_health_2024-25_Q1.csv.gz"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let e = check(empty)
        #expect(located(e) == [Located("source-error", nil)])
        #expect(e.findings[0].message.contains("empty"))
        #expect(r.findings.contains { $0.code == "source-error" })
    }

    @Test func truncatedGzip() {
        let rows = (0..<20_000).map { health(["event_id": "E-\($0)"]) }
        let gz = gzipBytes(Array(file(healthHeader, rows).utf8))
        let path = tempDir() + "/UHL_health_2024-25_Q1.csv.gz"
        _ = FileManager.default.createFile(atPath: path, contents: Data(gz[0..<(gz.count / 2)]))
        let r = check(path)
        let f = try! #require(r.findings.first { $0.code == "compression-error" })
        #expect(f.message.contains("ends early"))
        #expect(f.line != nil)
        #expect(r.stats.rows > 1000)  // rows before the cut were still checked
    }

    @Test func randomBytesNamedCsvGz() {
        var rng = SystemRandomNumberGenerator()
        let noise = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = tempDir() + "/UHL_health_2024-25_Q1.csv.gz"
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x00, 0x42] + noise))
        let r = check(path)
        #expect(located(r) == [Located("source-error", nil)])
        #expect(r.findings[0].message.contains("binary"))
    }

    @Test func gzipOfRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        let noise = [UInt8(0)] + (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", noise))
        #expect(located(r) == [Located("source-error", nil)])
    }

    @Test func latin1Text() {
        var bytes = Array(file(healthHeader, [health()]).utf8)
        // "Zoë" saved as Latin-1: ë is the single byte 0xEB.
        bytes += Array("E-2,,RWE-2,Zo".utf8) + [0xEB] + Array(",Jones,2010-01-01,2,A,LE1 6ZG,C82001,CAMHS_REFERRAL,2024-04-10\n".utf8)
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", bytes))
        #expect(located(r) == [Located("encoding-error", 3)])
        let f = r.findings[0]
        #expect(f.fieldName == "forename" && f.fieldNumber == 4 && f.cell == "Zo\u{FFFD}")
        #expect(f.message.contains("Latin-1"))
    }

    @Test func missingAndRenamedColumns() {
        let header = healthHeader.replacingOccurrences(of: "local_patient_id,", with: "").replacingOccurrences(of: "event_date", with: "Event Date")
        let row = "E-1,0830166130,Amy,Jones,2010-01-01,2,A,LE1 6ZG,C82001,CAMHS_REFERRAL,2024-04-10"
        let r = check(returnFile("UHL_health_2024-25_Q1.csv", Array(file(header, [row]).utf8)))
        #expect(located(r) == [Located("missing-label", 1), Located("missing-label", 1)])
        #expect(Set(r.findings.map { $0.fieldName ?? "" }) == ["event_date", "local_patient_id"])
    }

    @Test func rowWithThousandsOfCells() {
        let wide = health() + String(repeating: ",x", count: 5000)
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", Array(file(healthHeader, [wide, health(["event_id": "E-2"])]).utf8)))
        #expect(located(r) == [Located("extra-cell", 2)])
        #expect(r.findings[0].message.contains("5012 cells"))
        #expect(r.findings[0].fieldNumber == 13 && r.findings[0].cell == "x")
        #expect(r.stats.rows == 2)
    }

    @Test func headerOnly() {
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", Array((healthHeader + "\n").utf8)))
        #expect(located(r) == [Located("source-error", nil)])
        #expect(r.findings[0].message.contains("no data rows"))
    }

    @Test func unclosedQuote() {
        let rows = [health(), health(["event_id": "E-2", "forename": "\"Amy"]), health(["event_id": "E-3"]), health(["event_id": "E-4"])]
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", Array(file(healthHeader, rows).utf8)))
        #expect(located(r) == [Located("format-error", 3)])
        let f = r.findings[0]
        #expect(f.line == 3 && f.fieldNumber == 4)
        #expect(f.message.contains("never closed"))
    }

    @Test func strayQuoteMidFileOnlyLosesItsOwnRow() {
        let rows = [health(), health(["event_id": "E-2", "surname": "O\"Neill"]), health(["event_id": "E-3", "gender": "X"])]
        let r = check(returnFile("UHL_health_2024-25_Q1.csv", Array(file(healthHeader, rows).utf8)))
        #expect(located(r) == [Located("format-error", 3), Located("constraint-error", 4)])
    }

    /// A 2 GiB cell that gzip squeezes to about 2 MB: concatenated members of
    /// one compressed megabyte of 'A'. The reader cuts the cell at the 1 MiB
    /// limit and skips the rest of the line without holding it.
    @Test(.timeLimit(.minutes(2)))
    func decompressionBomb() throws {
        let path = tempDir() + "/UHL_health_2024-25_Q1.csv.gz"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.write(Data(gzipBytes(Array((healthHeader + "\nE-1,").utf8))))
        let mega = Data(gzipBytes([UInt8](repeating: 0x41, count: 1 << 20)))
        for _ in 0..<2048 { handle.write(mega) }
        handle.write(Data(gzipBytes(Array(",RWE-1\n".utf8))))
        try handle.close()
        let r = check(path)
        let f = try #require(r.findings.first { $0.code == "format-error" })
        #expect(f.rowNumber == 2 && f.fieldNumber == 2)
        #expect(f.message.contains("over the 1 MiB limit"))
        #expect((f.cell?.count ?? 0) < 200)
        #expect(r.stats.bytes > 2 << 30)
    }

    @Test func decompressedSizeLimit() {
        let rows = (0..<5000).map { health(["event_id": "E-\($0)"]) }
        var o = options()
        o.limits = ReadLimits(maxCellBytes: 1 << 20, maxDecompressedBytes: 100_000)
        let r = check(returnFile("UHL_health_2024-25_Q1.csv.gz", Array(file(healthHeader, rows).utf8)), o)
        #expect(r.findings.first?.code == "compression-error")
        #expect(r.findings.first?.message.contains("limit") == true)
    }

    @Test func spreadsheetInsteadOfCsv() {
        let path = tempDir() + "/UHL_health_2024-25_Q1.csv.gz"
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 1, count: 100)))
        let r = check(path)
        #expect(r.findings[0].message.contains("Excel"))
    }

    @Test func notAReturnAtAll() {
        let r = check(returnFile("UHL_health_2024-25_Q1.csv", Array("name,colour\nfred,blue\n".utf8)))
        #expect(r.findings.contains { $0.code == "extra-label" })
        #expect(r.findings.filter { $0.code == "missing-label" }.count == 12)
        #expect(r.stats.rows == 1)
    }
}
