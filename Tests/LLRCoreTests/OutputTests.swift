import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore

@Suite("Outputs: written under a temporary name, renamed into place, made durable")
struct OutputTests {
    @Test func anOutputAppearsOnlyWhenCommitted() throws {
        let dir = tempDir()
        let path = dir + "/table.csv"
        do {
            let f = try AtomicOutputFile(path: path)
            try f.write("half a table")
            // Dropped without commit: neither the output nor its temporary file is left.
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let f = try AtomicOutputFile(path: path)
        try f.write("a,b\n1,2\n")
        #expect(!FileManager.default.fileExists(atPath: path))
        try f.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n1,2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["table.csv"])
    }

    /// The merge's commit point makes every output durable in one call; a
    /// folder that cannot be opened is a failure that names it, never a silent pass.
    @Test func durabilityAtTheCommitPoint() throws {
        let dir = tempDir()
        try OutputDurability.syncFileSystem(containing: dir)
        #expect {
            try OutputDurability.syncFileSystem(containing: dir + "/missing")
        } throws: { ($0 as? OutputError)?.description.contains(dir + "/missing") == true }
    }
}

@Suite("gzipDamage: a gzip file the pipeline wrote is whole, or says where it is not")
struct GzipDamageTests {
    /// 300 KB of rows: five stored blocks at level 0; a few hundred bytes compressed.
    func written(level: Int32) throws -> (path: String, bytes: Data) {
        let path = tempDir() + "/t.csv.gz"
        let w = try GzipWriter(path: path, level: level)
        for i in 0..<10_000 { try w.write("row \(i),some cells,LE1 \(i % 97)\n") }
        try w.commit()
        return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func wholeFilesPass() throws {
        #expect(gzipDamage(path: try written(level: 0).path) == nil)
        #expect(gzipDamage(path: try written(level: 6).path) == nil)
    }

    /// Cut anywhere, at either level, the file is called damaged.
    @Test(arguments: [0, 6] as [Int32]) func aFileCutAnywhereIsDamaged(level: Int32) throws {
        let (path, bytes) = try written(level: level)
        for keep in [0, 5, 10, 14, 15, 100, bytes.count / 3, bytes.count / 2, bytes.count - 9, bytes.count - 8, bytes.count - 4, bytes.count - 1] {
            try bytes.prefix(keep).write(to: URL(fileURLWithPath: path))
            #expect(gzipDamage(path: path) != nil, "kept \(keep) of \(bytes.count)")
        }
    }

    /// A byte changed inside a stored block passes the walk of the headers;
    /// reading the data finds it against the trailer's CRC.
    @Test func aChangedDataByteIsFoundWhenTheDataIsChecked() throws {
        var (path, bytes) = try written(level: 0)
        #expect(gzipDamage(path: path, checkData: true) == nil)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: path))
        if gzipDamage(path: path) == nil {  // the byte fell in data, not on a block header
            #expect(gzipDamage(path: path, checkData: true)?.contains("checksum") == true)
        }
        var early = try written(level: 0).bytes
        early[20] ^= 0x20
        try early.write(to: URL(fileURLWithPath: path))
        #expect(gzipDamage(path: path) == nil)
        #expect(gzipDamage(path: path, checkData: true)?.contains("checksum") == true)
    }

    @Test func aStoredFileWithAnOverwrittenHeaderOrTrailerOrTailIsDamaged() throws {
        let (path, bytes) = try written(level: 0)
        var header = bytes
        header[11] ^= 0x01
        try header.write(to: URL(fileURLWithPath: path))
        #expect(gzipDamage(path: path)?.contains("block header at byte 10") == true)
        var trailer = bytes
        trailer[bytes.count - 2] ^= 0x01
        try trailer.write(to: URL(fileURLWithPath: path))
        #expect(gzipDamage(path: path)?.contains("trailer") == true)
        try (bytes + Data([0, 0, 0])).write(to: URL(fileURLWithPath: path))
        #expect(gzipDamage(path: path) == "has 3 bytes after its end")
        try Data("plain,csv\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(gzipDamage(path: path)?.contains("not a whole gzip file") == true)
        #expect(gzipDamage(path: path + ".missing")?.contains("cannot be opened") == true)
    }
}
