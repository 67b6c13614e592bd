import Foundation
import LLRTestSupport
import LLRSynth
import Testing
@testable import LLRCore

@Suite("Streaming input: gzip, text, CSV records and lines")
struct ReadingTests {
    @Test func gzipAndPlainGiveTheSameBytes() {
        let text = Array("a,b\n1,2\n".utf8)
        let dir = tempDir()
        writeFile(dir + "/p.csv", text)
        writeFile(dir + "/g.csv", gzipBytes(text))  // named .csv: detected from the bytes
        #expect(readAll(dir + "/p.csv").bytes == text)
        #expect(readAll(dir + "/g.csv").bytes == text)
    }

    @Test func multiMemberGzipIsReadWhole() {
        let dir = tempDir()
        writeFile(dir + "/m.csv.gz", gzipBytes(Array("a,b\n".utf8)) + gzipBytes(Array("1,2\n".utf8)) + gzipBytes(Array("3,4\n".utf8)))
        let r = readAll(dir + "/m.csv.gz")
        #expect(r.problem == nil)
        #expect(String(decoding: r.bytes, as: UTF8.self) == "a,b\n1,2\n3,4\n")
    }

    @Test func truncatedGzipDeliversWhatItCanThenSaysSo() {
        let body = (0..<5000).map { "row\($0),\($0 * 7)\n" }.joined()
        let gz = gzipBytes(Array(body.utf8))
        let dir = tempDir()
        writeFile(dir + "/t.csv.gz", Array(gz[0..<(gz.count / 2)]))
        let r = readAll(dir + "/t.csv.gz")
        #expect(r.problem?.kind == .compression)
        #expect(r.problem?.message.contains("ends early") == true)
        #expect(r.bytes.count > 0 && r.bytes.count < body.utf8.count)
    }

    @Test func corruptGzipIsACompressionError() {
        var gz = gzipBytes(Array(String(repeating: "abc,def\n", count: 1000).utf8))
        for i in 20..<40 { gz[i] ^= 0xFF }
        let dir = tempDir()
        writeFile(dir + "/c.csv.gz", gz)
        #expect(readAll(dir + "/c.csv.gz").problem?.kind == .compression)
    }

    @Test func emptyMissingAndSpreadsheetFilesAreSourceErrors() {
        let dir = tempDir()
        writeFile(dir + "/e.csv.gz", [])
        writeFile(dir + "/x.csv.gz", [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0])
        #expect(readAll(dir + "/e.csv.gz").problem?.message.contains("empty") == true)
        #expect(readAll(dir + "/nothing-here.csv.gz").problem?.kind == .source)
        #expect(readAll(dir + "/x.csv.gz").problem?.message.contains("Excel") == true)
        #expect(readAll(dir).problem?.message.contains("folder") == true)
    }

    @Test func decompressedSizeLimitStopsTheRead() {
        let dir = tempDir()
        writeFile(dir + "/b.csv.gz", gzipBytes([UInt8](repeating: 0x41, count: 1 << 20)))
        let r = readAll(dir + "/b.csv.gz", limit: 100_000)
        #expect(r.problem?.kind == .compression)
        #expect(r.problem?.message.contains("more than") == true)
    }

    @Test func rowsAndLinesAreCounted() {
        let (recs, problem) = parse("h1,h2\r\n\"multi\nline\",x\r\n\r\nplain,y\n  \nlast,z")
        #expect(problem == nil)
        #expect(recs.map(\.row) == [1, 2, 3, 4, 5, 6])
        #expect(recs.map(\.line) == [1, 2, 4, 5, 6, 7])
        #expect(recs.map(\.blank) == [false, false, true, false, true, false])
        #expect(recs[1].cells == ["multi\nline", "x"])
        #expect(recs[5].cells == ["last", "z"])
    }

    /// Records, blank lines and quoted line breaks across many 256 KiB
    /// chunks: every record's line is one more than the line feeds before it.
    @Test(arguments: [false, true])
    func linesStayRightAcrossChunks(crlf: Bool) {
        var text = ""
        var expected: [(row: Int, line: Int, blank: Bool)] = []
        var line = 1
        let nl = crlf ? "\r\n" : "\n"
        for i in 0..<20_000 {
            let start = line
            if i % 97 == 5 {
                text += "   " + nl  // a blank line, spaces only
                expected.append((expected.count + 1, start, true))
                line += 1
                continue
            }
            if i % 13 == 0 {
                text += "\(i),\"note \(i)\nsecond line\nthird\",\(String(repeating: "x", count: i % 50))" + nl
                line += 3
            } else {
                text += "\(i),plain \(i),\(String(repeating: "y", count: i % 70))" + nl
                line += 1
            }
            expected.append((expected.count + 1, start, false))
        }
        let (recs, problem) = parse(text, gzip: true)
        #expect(problem == nil)
        #expect(recs.count == expected.count)
        for (r, e) in zip(recs, expected) where r.row != e.row || r.line != e.line || r.blank != e.blank {
            Issue.record("row \(r.row): line \(r.line) blank \(r.blank), expected row \(e.row) line \(e.line) blank \(e.blank)")
            break
        }
        #expect(text.utf8.count > 3 * 256 * 1024)
    }

    /// The reader splits quote-free lines itself and leaves the rest to
    /// libcsv; random text full of quotes, spaces, tabs, CR, CRLF, blank
    /// lines, bad UTF-8 and cells crossing 256 KiB chunks must give the same
    /// records, lines, cells and defects as libcsv alone.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func ownSplittingMatchesLibcsv(seed: UInt64) {
        var rng = SynthRandom(seed: seed)
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("bc d".utf8), Array("LE1 6ZG".utf8), [0x20], [0x09], [0x2C], [0x2C], [0x2C],
            [0x0A], [0x0A], [0x0D, 0x0A], [0x0D], [0x22], Array("\"x,\ny\"".utf8), Array("\"q\"\"r\"".utf8),
            Array("Zoë".utf8), [0xEB], Array("  , ,".utf8), Array("12/03/2024 10:00".utf8),
        ]
        var text: [UInt8] = []
        // Mostly ordinary lines, so the plain path runs, with noise mixed in.
        // Seeds 7 and 8 quote a cell on every ordinary line, as some exports
        // do: the reader then hands libcsv whole chunks.
        let quoteEveryLine = seed > 6
        while text.count < 700_000 {
            if rng.next() % 4 == 0 {
                for _ in 0..<(1 + rng.next() % 12) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            } else {
                if quoteEveryLine { text += Array("\"q,\"\"x\"\"\",".utf8) }
                let cells = 1 + Int(rng.next() % 9)
                text += Array((0..<cells).map { "c\($0)_\(rng.next() % 1000)" }.joined(separator: ",").utf8)
                text += rng.next() % 3 == 0 ? [0x0D, 0x0A] : [0x0A]
            }
            if rng.next() % 5000 == 0 { text += [UInt8](repeating: 0x41, count: 300_000) }
        }
        let limits = ReadLimits(maxCellBytes: seed % 2 == 0 ? 200_000 : 1 << 20)
        let (own, ownProblem) = parseBytes(text, gzip: seed % 3 == 0, limits: limits)
        let (reference, referenceProblem) = parseBytes(text, gzip: seed % 3 == 0, limits: limits, plainLines: false)
        #expect(ownProblem == nil && referenceProblem == nil)
        #expect(own.count == reference.count)
        #expect(own.count > 10_000)
        for (a, b) in zip(own, reference) where a != b {
            Issue.record("row \(a.row): \(a) differs from libcsv's \(b)")
            break
        }
    }

    /// Exact copies are found by this hash: the same cells hash the same
    /// however they were quoted, and cells that differ only in where a
    /// comma falls do not.
    @Test func equalRowsHashEquallyAndBoundariesCount() {
        let (recs, _) = parse("h1,h2\na,b\n\"a\",b\n\"a,b\",c\n\"a\",\"b,c\"\na,\"b,c\"\nab,\nab\n")
        #expect(recs[1].hash == recs[2].hash)
        #expect(recs[3].hash != recs[4].hash)
        #expect(recs[4].hash == recs[5].hash)
        #expect(recs[6].hash != recs[7].hash)
        #expect(recs[1].hash != recs[3].hash)
    }

    @Test func carriageReturnOnlyLineEnds() {
        let (recs, _) = parse("a,b\r1,2\r\r3,4\r")
        #expect(recs.map(\.line) == [1, 2, 3, 4])
        #expect(recs.map(\.blank) == [false, false, true, false])
    }

    @Test func afterAStrayQuoteTheNextLinesKeepTheirNumbers() {
        let body = (0..<30_000).map { i in i == 20_000 ? "x\"y,\(i)" : "r\(i),\(i)" }.joined(separator: "\n") + "\n"
        let (recs, _) = parse("a,b\n" + body, gzip: true)
        #expect(recs.count == 30_001)
        #expect(recs[20_001].defect != nil && recs[20_001].line == 20_002)
        #expect(recs[20_002].cells == ["r20001", "20001"] && recs[20_002].line == 20_003)
        #expect(recs.last!.line == 30_001)
    }

    @Test func bomIsDroppedAndSpacesAroundUnquotedCellsTrimmed() {
        let (recs, _) = parseBytes([0xEF, 0xBB, 0xBF] + Array("a, b \n1,\" 2 \"\n".utf8), gzip: true)
        #expect(recs.map(\.cells) == [["a", "b"], ["1", " 2 "]])
    }

    @Test func strayQuoteIsAFormatDefectAndReadingGoesOn() {
        let (recs, problem) = parse("a,b\nx\"y,2\nok,3\n\"q\"r,4\n")
        #expect(problem == nil)
        #expect(recs.count == 4)
        if case .malformedQuote(let cell, let problem) = recs[1].defect { #expect(cell == 0 && problem == .quoteInUnquotedCell) } else { Issue.record("no defect on row 2") }
        #expect(recs[2].cells == ["ok", "3"] && recs[2].defect == nil)
        if case .malformedQuote(let cell, let problem) = recs[3].defect {
            #expect(cell == 0)
            #expect(problem == .textAfterClosingQuote)
        } else { Issue.record("no defect on row 4") }
    }

    @Test func unclosedQuoteAtTheEndIsReported() {
        let (recs, _) = parse("a,b\n1,\"open\n2,3\n")
        #expect(recs.count == 2)
        #expect(recs[1].defect == .unclosedQuote(cellIndex: 1))
        #expect(recs[1].line == 2)
    }

    @Test func oversizedCellIsCutAndTheNextLineRead() {
        let big = String(repeating: "A", count: 300_000)
        let (recs, _) = parse("a,b\n1,\(big)\n2,ok\n", limits: ReadLimits(maxCellBytes: 100_000))
        #expect(recs.count == 3)
        if case .cellTooLarge(let cell, let bytes) = recs[1].defect {
            #expect(cell == 1)
            #expect(bytes > 100_000)
        } else { Issue.record("no size defect") }
        #expect(recs[2].cells == ["2", "ok"])
        #expect(recs[2].line == 3)
    }

    @Test func latin1CellsAreFlagged() {
        let (recs, _) = parseBytes(Array("name,town\n".utf8) + [0x5A, 0x6F, 0xEB] + Array(",Leicester\n".utf8))
        #expect(recs[1].invalidUTF8 == [0])
    }

    @Test func binaryAndUTF16AreRefused() {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) } + [0]
        #expect(parseBytes(noise).1?.kind == .source)
        #expect(parseBytes([0xFF, 0xFE, 0x61, 0x00]).1?.kind == .encoding)
    }

    @Test func gzipWriterIsDeterministicAndReadable() throws {
        let dir = tempDir()
        for name in ["a", "b"] {
            let out = try CSVOutput(path: "\(dir)/\(name).csv.gz", header: ["x", "y"])
            for i in 0..<20_000 { try out.writeRow { r in r.add(i); r.add("=cell \(i)") } }
            try out.commit()
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.csv.gz"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/b.csv.gz"))
        #expect(a == b)
        let text = String(decoding: readAll(dir + "/a.csv.gz").bytes, as: UTF8.self)
        #expect(text.hasPrefix("x,y\n0,'=cell 0\n"))
        #expect(text.split(separator: "\n").count == 20_001)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: dir)).contains { $0.contains(".tmp-") })
    }

    @Test func uncommittedOutputLeavesThePreviousFileAlone() throws {
        let dir = tempDir()
        writeFile(dir + "/keep.csv.gz", Array("old".utf8))
        do {
            let out = try CSVOutput(path: dir + "/keep.csv.gz", header: ["new"])
            try out.writeRow { $0.add("half-written") }
            // dropped without commit, as a run killed halfway would leave it
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/keep.csv.gz")) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["keep.csv.gz"])
    }
}
