#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The names in a folder (not `.` and `..`), sorted; nil when it cannot be read.
public func directoryEntries(_ dir: String) -> [String]? {
    guard let d = opendir(dir) else { return nil }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// A file's size in bytes, if it can be read.
public func fileSize(_ path: String) -> Int? {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : nil
}

/// `mkdir -p`: the folder and any missing parents.
public func makeDirectories(_ path: String) throws(OutputError) {
    if isDirectory(path) { return }
    let up = parentDirectory(path)
    if up != path && up != "." && up != "/" { try makeDirectories(up) }
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
        throw OutputError("cannot create the folder \(path): \(String(cString: strerror(errno)))")
    }
}

/// Removes a file or a folder with everything in it; a missing path is fine.
public func removeTree(_ path: String) {
    if isDirectory(path) {
        for name in directoryEntries(path) ?? [] { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// Copies a file's bytes to a temporary name beside `to`, then renames it into place.
public func copyFile(from: String, to: String) throws(OutputError) {
    let input = open(from, O_RDONLY)
    guard input >= 0 else { throw OutputError("cannot read \(from): \(String(cString: strerror(errno)))") }
    defer { close(input) }
    let out = try AtomicOutputFile(path: to)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; throw OutputError("cannot read \(from): \(String(cString: strerror(errno)))") }
        if n == 0 { break }
        try out.write(Array(buffer[0..<n]))
    }
    try out.commit()
}

/// A small file's bytes, whole (a key, a manifest, a /proc entry); nil when
/// it cannot be read, with errno saying why.
public func readSmallFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { return out }
        out += buffer[0..<n]
    }
}
