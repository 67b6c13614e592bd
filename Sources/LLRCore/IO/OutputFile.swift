import CLLRSupport
import CZlib
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct OutputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// When committed outputs reach the disk. By default each output is fsynced
/// before its rename. A process with a commit point of its own that writes
/// hundreds of files (the nightly merge: 550 fsyncs a night, each stalling
/// the worker that made the file) defers that, and makes everything durable
/// at once with `syncFileSystem(containing:)` before its commit point.
public enum OutputDurability {
    private static let eachFile = Locked<Bool>(true)

    public static var syncsEachFile: Bool { eachFile.value }

    /// From now on, this process's outputs are not fsynced one by one; it
    /// must call `syncFileSystem(containing:)` before relying on them.
    public static func deferToCommitPoint() { eachFile.value = false }

    /// Asking the kernel to start writing can itself wait when the disk's
    /// queue is full (0.1 s at times): the requests go through one thread of
    /// their own, so no worker waits on them.
    private static let writeback = DispatchQueue(label: "llr.writeback")

    /// Starts writing `path`'s dirty pages to disk, when outputs are made
    /// durable at the commit point (for files written by other means than
    /// `AtomicOutputFile`, such as SQLite's).
    public static func startWriteback(_ path: String) {
        guard !syncsEachFile else { return }
        writeback.async {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return }  // already renamed or removed: the commit point's sync covers it
            llr_start_writeback(fd)
            close(fd)
        }
    }

    /// The same for an open file, which the caller may close at once.
    static func startWriteback(descriptor: Int32) {
        let own = dup(descriptor)
        guard own >= 0 else { return }
        writeback.async {
            llr_start_writeback(own)
            close(own)
        }
    }

    /// Every file written on the filesystem holding `path`, and every
    /// rename there, on disk when this returns.
    public static func syncFileSystem(containing path: String) throws(OutputError) {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw OutputError("cannot open \(path) to make its files durable: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if llr_sync_filesystem(fd) != 0 { throw OutputError("cannot make the files under \(path) durable: \(String(cString: strerror(errno)))") }
    }
}

/// An output that takes its bytes in chunks and is then committed: a plain
/// file or a gzip stream. What `BackgroundWriter` writes to.
public protocol ChunkedOutput: AnyObject {
    func write(_ bytes: [UInt8]) throws(OutputError)
    func commit() throws(OutputError)
}

/// A file written under a temporary name in the same folder and renamed into
/// place by `commit()`, so a run killed halfway never leaves a half-written
/// output where the last good one was. Dropped without commit, the temporary
/// file is removed.
public final class AtomicOutputFile: ChunkedOutput {
    public let path: String
    let tempPath: String
    private var fd: Int32
    private var committed = false

    public init(path: String) throws(OutputError) {
        self.path = path
        tempPath = path + ".tmp-\(getpid())"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw OutputError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(tempPath) }
    }

    public func write(_ p: UnsafeRawPointer, _ n: Int) throws(OutputError) {
        var off = 0
        while off < n {
            #if canImport(Glibc)
            let w = Glibc.write(fd, p + off, n - off)
            #else
            let w = Darwin.write(fd, p + off, n - off)
            #endif
            if w < 0 {
                if errno == EINTR { continue }
                throw OutputError("writing \(path) failed: \(String(cString: strerror(errno)))")
            }
            off += w
        }
    }

    public func write(_ bytes: [UInt8]) throws(OutputError) {
        let failure = bytes.withUnsafeBytes { b -> OutputError? in
            guard b.count > 0 else { return nil }
            do { try write(b.baseAddress!, b.count) } catch let e as OutputError { return e } catch { return OutputError("\(error)") }
            return nil
        }
        if let failure { throw failure }
    }

    public func write(_ s: String) throws(OutputError) { try write(Array(s.utf8)) }

    public func commit() throws(OutputError) {
        guard !committed else { return }
        if OutputDurability.syncsEachFile {
            if fsync(fd) != 0 && errno != EINVAL { throw OutputError("fsync \(path) failed: \(String(cString: strerror(errno)))") }
        } else {
            OutputDurability.startWriteback(descriptor: fd)  // under way while the run goes on; the commit point's sync then waits for less
        }
        close(fd)
        fd = -1
        if rename(tempPath, path) != 0 {
            throw OutputError("cannot rename into \(path): \(String(cString: strerror(errno)))")
        }
        committed = true
    }
}

/// Streaming gzip output. The gzip header carries no time stamp or name, so
/// the same rows always give the same bytes.
public final class GzipWriter: ChunkedOutput {
    private let file: AtomicOutputFile
    private var stream = z_stream()
    private let outCapacity = 128 * 1024
    private let outBuffer: UnsafeMutablePointer<UInt8>
    private let pendingCapacity = 64 * 1024
    private let pending: UnsafeMutablePointer<UInt8>
    private var pendingCount = 0
    private var open = true

    /// `firstMatchOnly`: at level 1, try only the most recent earlier
    /// occurrence of each 3-byte string, not up to four. The dataset's
    /// tables are largely pseudonymous ids (random hex, where matches are
    /// rarely found and every try is wasted): at 1M rows this compressed the
    /// lineage 35% faster (0.64 -> 0.47 s) and the events 5% faster, for
    /// files 1-3% bigger.
    public init(path: String, level: Int32 = 6, firstMatchOnly: Bool = false) throws(OutputError) {
        file = try AtomicOutputFile(path: path)
        outBuffer = .allocate(capacity: outCapacity)
        pending = .allocate(capacity: pendingCapacity)
        let rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK { throw OutputError("zlib deflate could not start (code \(rc))") }
        // zlib's own level-1 settings (good 4, insert 4, nice 8) with a chain of one.
        if firstMatchOnly && level == 1 && deflateTune(&stream, 4, 4, 8, 1) != Z_OK { throw OutputError("zlib deflate could not be tuned") }
    }

    deinit {
        deflateEnd(&stream)
        outBuffer.deallocate()
        pending.deallocate()
    }

    /// Bytes are gathered and compressed 64 KiB at a time.
    public func write(_ p: UnsafeBufferPointer<UInt8>) throws(OutputError) {
        var off = 0
        while off < p.count {
            let n = min(p.count - off, pendingCapacity - pendingCount)
            (pending + pendingCount).update(from: p.baseAddress! + off, count: n)
            pendingCount += n
            off += n
            if pendingCount == pendingCapacity { try flushPending(finish: false) }
        }
    }

    public func write(_ bytes: [UInt8]) throws(OutputError) {
        let failure = bytes.withUnsafeBufferPointer { b -> OutputError? in
            do { try write(b) } catch let e as OutputError { return e } catch { return OutputError("\(error)") }
            return nil
        }
        if let failure { throw failure }
    }

    public func write(_ s: String) throws(OutputError) { try write(Array(s.utf8)) }

    private func flushPending(finish: Bool) throws(OutputError) {
        stream.next_in = pending
        stream.avail_in = UInt32(pendingCount)
        while true {
            stream.next_out = outBuffer
            stream.avail_out = UInt32(outCapacity)
            let rc = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
            let produced = outCapacity - Int(stream.avail_out)
            if produced > 0 { try file.write(outBuffer, produced) }
            if finish { if rc == Z_STREAM_END { break } } else if stream.avail_in == 0 && stream.avail_out > 0 { break }
            if rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END { throw OutputError("zlib deflate failed (code \(rc))") }
        }
        pendingCount = 0
    }

    /// Finishes the gzip stream and renames the file into place.
    public func commit() throws(OutputError) {
        guard open else { return }
        try flushPending(finish: true)
        open = false
        try file.commit()
    }
}

/// gzip of bytes held in memory, as one member with no name or time stamp.
/// For small payloads (tests, fixtures); files stream through `GzipWriter`.
public func gzipCompress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    var input = bytes
    let produced = input.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            stream.next_out = o.baseAddress
            stream.avail_out = UInt32(o.count)
            deflate(&stream, Z_FINISH)
            return o.count - Int(stream.avail_out)
        }
    }
    return Array(out[0..<produced])
}
