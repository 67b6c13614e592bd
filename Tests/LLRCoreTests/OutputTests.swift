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
