import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tonight's outputs are built in `OUT/.staging/` while the last good
/// dataset stays untouched in `OUT/`. Writing `.staging/MANIFEST` (itself
/// atomically) is the commit point: before it, a killed run leaves the old
/// dataset and a staging folder the next run throws away; after it, the
/// next run finishes moving the listed files into place before it starts.
public struct Staging: Sendable {
    public let outDir: String
    public var dir: String { outDir + "/.staging" }
    var manifest: String { dir + "/MANIFEST" }

    public init(outDir: String) { self.outDir = outDir }

    /// Finishes a committed run or discards an uncommitted one; says which.
    public func recover() throws(MergeFailure) -> String? {
        guard isDirectory(dir) else { return nil }
        if fileExists(manifest) {
            try publish()
            return "the previous run was stopped while putting its outputs in place; it has been completed"
        }
        removeTree(dir)
        return "the previous run was stopped before it finished; its partial outputs were discarded and the dataset is as the last complete run left it"
    }

    /// Starts an empty staging folder.
    public func begin() throws(MergeFailure) {
        removeTree(dir)
        try makeFolders(dir)
    }

    public func path(_ relative: String) -> String { dir + "/" + relative }

    /// The commit point, then the moves. Tonight's outputs are on disk
    /// before the manifest names them, and the manifest before the first
    /// move, so even a power cut leaves the old dataset or the new one
    /// (whether or not each output was fsynced as it was written).
    public func commit() throws(MergeFailure) {
        let files = listFiles(dir, prefix: "").filter { $0 != "MANIFEST" && !$0.contains(".tmp-") }
        do {
            try OutputDurability.syncFileSystem(containing: dir)
            let m = try AtomicOutputFile(path: manifest)
            try m.write(files.joined(separator: "\n") + "\n")
            try m.commit()
            try OutputDurability.syncFileSystem(containing: dir)
        } catch { throw MergeFailure("cannot commit tonight's outputs: \(error.description)") }
        try publish()
    }

    private func publish() throws(MergeFailure) {
        let text = readSmallFile(manifest).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for relative in text.split(separator: "\n").map(String.init) where !relative.isEmpty {
            let from = dir + "/" + relative, to = outDir + "/" + relative
            guard fileExists(from) else { continue }  // moved before the interruption
            try makeFolders(parentDirectory(to))
            if rename(from, to) != 0 {
                throw MergeFailure("cannot move \(relative) into \(outDir): \(String(cString: strerror(errno))); the next run will try again")
            }
        }
        removeTree(dir)
    }
}

/// Every file under `dir`, as paths relative to it, sorted.
func listFiles(_ dir: String, prefix: String) -> [String] {
    var out: [String] = []
    for name in directoryEntries(dir) ?? [] {
        let full = dir + "/" + name
        if isDirectory(full) { out += listFiles(full, prefix: prefix + name + "/") } else { out.append(prefix + name) }
    }
    return out
}
