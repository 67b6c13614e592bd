import Crypto
import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file found in the inbox: its bytes' fingerprint, when it arrived and
/// who it says it is from.
public struct InboxFile: Sendable {
    public var name: String
    public var path: String
    public var sha256: String
    public var bytes: Int64
    /// The day the file arrived: its modification date (UTC), or the run's
    /// `--as-of` date when that is earlier (a replay of an earlier night).
    public var received: CivilDate
    /// Nil when the name breaks the convention (the problem says why).
    public var returnName: ReturnFileName?
    public var nameProblem: String?
    /// Set when the file could not even be opened or hashed.
    public var readProblem: String?
}

/// What the merge will do with an inbox file tonight.
public enum InboxAction: String, Sendable {
    /// Never seen: validate, normalise, merge.
    case new
    /// Seen under this name with other bytes: the new bytes replace the old.
    case changed
    /// Processed before with these very bytes.
    case unchanged
}

/// Why the merge's folders cannot be used together, or nil. The dataset or
/// the state written into the inbox would come back the next night as
/// files from partners (`--out SampleData/returns` wrote a whole dataset,
/// state and outbox among the sample returns); an inbox inside the dataset
/// or the state is a folder the merge manages.
public func folderClash(inbox: String, out: String, state: String) -> String? {
    let i = resolvedPath(inbox), o = resolvedPath(out), s = resolvedPath(state)
    func within(_ a: String, _ b: String) -> Bool { a == b || a.hasPrefix(b == "/" ? "/" : b + "/") }
    if o == i { return "--out is the inbox (\(inbox)): give the dataset a folder of its own, e.g. --out out" }
    if s == i { return "--state is the inbox (\(inbox)): give the state a folder of its own (by default out/state)" }
    if within(i, o) { return "the inbox (\(inbox)) is inside --out (\(out)): keep partners' files outside the dataset" }
    if within(i, s) { return "the inbox (\(inbox)) is inside --state (\(state)): keep partners' files outside the state" }
    return nil
}

/// Lists the inbox: regular files, sorted by name; hidden files and
/// partial uploads (`*.part`, `*.tmp`) are left for a later night.
public func scanInbox(_ dir: String, asOf: CivilDate?, jobs: Int) throws(MergeFailure) -> [InboxFile] {
    guard let entries = directoryEntries(dir) else {
        throw MergeFailure("cannot read the inbox \(dir): \(String(cString: strerror(errno)))")
    }
    let names = entries.filter { name in
        if name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") { return false }
        var st = stat()
        return stat(dir + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
    return concurrentMap(names.count, jobs: jobs) { i in inspect(dir + "/" + names[i], name: names[i], asOf: asOf) }
}

func inspect(_ path: String, name: String, asOf: CivilDate?) -> InboxFile {
    var file = InboxFile(name: name, path: path, sha256: "", bytes: 0, received: asOf ?? CivilDate(dayNumber: 0))
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        file.readProblem = "cannot open the file: \(String(cString: strerror(errno)))"
        return file
    }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) == 0 {
        file.bytes = Int64(st.st_size)
        let day = CivilDate(epochSeconds: Int(st.st_mtim.tv_sec))
        file.received = asOf.map { min($0, day) } ?? day
    }
    var hasher = SHA256()
    let size = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = read(fd, buffer.baseAddress, size)
        if n < 0 {
            if errno == EINTR { continue }
            file.readProblem = "cannot read the file: \(String(cString: strerror(errno)))"
            return file
        }
        if n == 0 { break }
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    file.sha256 = hasher.finalize().withUnsafeBytes { hexString($0) }
    return file
}

public struct MergeFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// `mkdir -p` of each folder, failing as the merge fails.
func makeFolders(_ paths: String...) throws(MergeFailure) {
    for p in paths {
        do { try makeDirectories(p) } catch { throw MergeFailure(error.description) }
    }
}
