import Foundation
import LLRTestSupport
@testable import LLRCore

/// The package root, found from this file's path.


func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func gzipBytes(_ bytes: [UInt8]) -> [UInt8] { gzipCompress(bytes) }

/// Everything a stream yields, or the problem it stopped with.
func readAll(_ path: String, limit: Int64 = 4 << 30) -> (bytes: [UInt8], problem: SourceProblem?) {
    do {
        let s = try ReturnByteStream(path: path, maxDecompressedBytes: limit)
        var out: [UInt8] = []
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
        defer { buf.deallocate() }
        while true {
            do {
                let n = try s.read(into: buf, capacity: 4096)
                if n == 0 { return (out, nil) }
                out.append(contentsOf: UnsafeBufferPointer(start: buf, count: n))
            } catch { return (out, error) }
        }
    } catch {
        return ([], error)
    }
}

/// Records as the reader delivers them.
struct SeenRecord: Equatable {
    var row: Int
    var line: Int
    var endLine: Int = 0
    var cellCount: Int = 0
    var cells: [String]
    var blank: Bool
    var defect: RecordDefect?
    var invalidUTF8: [Int]
    var hash: UInt64 = 0
}

final class Recorder: RecordSink {
    var records: [SeenRecord] = []
    func consume(_ r: RecordView) {
        records.append(SeenRecord(
            row: r.rowNumber, line: r.line, endLine: r.endLine, cellCount: r.cellCount, cells: (0..<r.storedCount).map { r.cell($0).string() }, blank: r.isBlank,
            defect: r.defect, invalidUTF8: Array(r.invalidUTF8Cells), hash: r.contentHash))
    }
}

func parse(_ text: String, gzip: Bool = false, limits: ReadLimits = ReadLimits()) -> ([SeenRecord], SourceProblem?) {
    parseBytes(Array(text.utf8), gzip: gzip, limits: limits)
}

/// `plainLines: false` reads every byte through libcsv, the reference the
/// reader's own splitting of quote-free lines is compared with.
func parseBytes(_ bytes: [UInt8], gzip: Bool = false, limits: ReadLimits = ReadLimits(), plainLines: Bool = true) -> ([SeenRecord], SourceProblem?) {
    let dir = tempDir()
    let path = dir + "/t.csv"
    writeFile(path, gzip ? gzipBytes(bytes) : bytes)
    let rec = Recorder()
    do {
        let stream = try ReturnByteStream(path: path, maxDecompressedBytes: limits.maxDecompressedBytes)
        let reader = CSVRecordReader(limits: limits)
        reader.splitsPlainLines = plainLines
        let problem = reader.read(stream, into: rec)
        return (rec.records, problem)
    } catch {
        return ([], error)
    }
}
