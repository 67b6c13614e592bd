import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a return's bytes could not be read to the end. Each carries the
/// finding code of spec §6 and a message a partner can act on.
public struct SourceProblem: Error, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case source = "source-error", compression = "compression-error", encoding = "encoding-error", format = "format-error"
        public var code: FindingCode { FindingCode(rawValue: rawValue)! }
    }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
}

/// The decompressed bytes of a return file, pulled in chunks. gzip (one or
/// many members) or plain text is recognised from the first bytes, never
/// from the file name. Memory is two fixed buffers whatever the file size.
public final class ReturnByteStream {
    public enum Encoding: String, Sendable { case gzip, plain }

    public let path: String
    public private(set) var encoding: Encoding = .plain
    /// Size of the file on disk.
    public private(set) var fileBytes: Int64 = 0
    /// The file's modification day (days since 1970, UTC): the date the return was made.
    public private(set) var modificationDay: Int = 0
    /// Bytes handed out so far (after decompression).
    public private(set) var decompressedBytes: Int64 = 0
    /// Non-gzip bytes found after the last complete gzip member, ignored as gzip(1) does.
    public private(set) var trailingGarbageBytes: Int64 = 0
    public let maxDecompressedBytes: Int64

    private var fd: Int32 = -1
    private let inCapacity = 256 * 1024
    private let inBuffer: UnsafeMutablePointer<UInt8>
    private var inStart = 0
    private var inEnd = 0
    private var inputEOF = false
    private var stream = z_stream()
    private var inflating = false
    private var finished = false
    private var pendingProblem: SourceProblem?

    public init(path: String, maxDecompressedBytes: Int64 = 4 << 30) throws(SourceProblem) {
        self.path = path
        self.maxDecompressedBytes = maxDecompressedBytes
        inBuffer = .allocate(capacity: inCapacity)
        fd = open(path, O_RDONLY)
        if fd < 0 {
            // deinit releases the buffer: the object is fully initialised here.
            let reason = String(cString: strerror(errno))
            throw SourceProblem(.source, "cannot open the file: \(reason)")
        }
        var st = stat()
        if fstat(fd, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw SourceProblem(.source, "this is a folder, not a return file")
            }
            fileBytes = Int64(st.st_size)
            modificationDay = CivilDate(epochSeconds: Int(st.st_mtim.tv_sec)).dayNumber
        }
        try refill()
        if inEnd == 0 {
            throw SourceProblem(.source, "the file is empty (0 bytes): export the return again")
        }
        let b0 = inBuffer[0], b1 = inEnd > 1 ? inBuffer[1] : 0
        if b0 == 0x1F && b1 == 0x8B {
            encoding = .gzip
            try startInflate()
        } else if b0 == 0x50 && b1 == 0x4B {
            throw SourceProblem(.source, "this is a ZIP archive or an Excel workbook (.xlsx), not CSV: save it as \"CSV UTF-8\" and gzip that")
        } else if b0 == 0xD0 && b1 == 0xCF {
            throw SourceProblem(.source, "this is an old Excel workbook (.xls), not CSV: save it as \"CSV UTF-8\" and gzip that")
        }
    }

    deinit {
        if inflating { inflateEnd(&stream) }
        if fd >= 0 { close(fd) }
        inBuffer.deallocate()
    }

    private func refill() throws(SourceProblem) {
        if inStart < inEnd || inputEOF { return }
        inStart = 0
        inEnd = 0
        while true {
            let n = posixRead(fd, inBuffer, inCapacity)
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceProblem(.source, "reading the file failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { inputEOF = true }
            inEnd = n
            return
        }
    }

    private func startInflate() throws(SourceProblem) {
        // 15 + 16: gzip wrapper only; the magic bytes were already checked.
        let rc = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw SourceProblem(.compression, "zlib could not start (code \(rc))") }
        inflating = true
    }

    /// Fills `buffer` with up to `capacity` decompressed bytes; 0 means the end.
    /// Bytes read before a problem are always delivered before it is thrown.
    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(SourceProblem) -> Int {
        if let p = pendingProblem { pendingProblem = nil; finished = true; throw p }
        if finished { return 0 }
        let n: Int
        switch encoding {
        case .plain: n = try readPlain(buffer, capacity)
        case .gzip: n = try readGzip(buffer, capacity)
        }
        decompressedBytes += Int64(n)
        if decompressedBytes > maxDecompressedBytes {
            finished = true
            let what = encoding == .gzip ? "decompresses to" : "is"
            throw SourceProblem(
                encoding == .gzip ? .compression : .source,
                "the file \(what) more than \(formatBytes(maxDecompressedBytes)) (the limit; raise it with --max-decompressed-bytes if this is a real return); reading stopped")
        }
        return n
    }

    private func readPlain(_ buffer: UnsafeMutablePointer<UInt8>, _ capacity: Int) throws(SourceProblem) -> Int {
        if inStart < inEnd {
            let n = min(capacity, inEnd - inStart)
            buffer.update(from: inBuffer + inStart, count: n)
            inStart += n
            return n
        }
        while true {
            let n = posixRead(fd, buffer, capacity)
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceProblem(.source, "reading the file failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { finished = true }
            return n
        }
    }

    private func readGzip(_ buffer: UnsafeMutablePointer<UInt8>, _ capacity: Int) throws(SourceProblem) -> Int {
        stream.next_out = buffer
        stream.avail_out = UInt32(capacity)
        while stream.avail_out > 0 {
            if inStart == inEnd {
                try refill()
                if inStart == inEnd {
                    // Input ended inside a member: the file was cut short.
                    let produced = capacity - Int(stream.avail_out)
                    let problem = SourceProblem(.compression, "the gzip data ends early (the file was cut short in transfer?) after \(decompressedBytes + Int64(produced)) decompressed bytes: send the whole file again")
                    if produced > 0 { pendingProblem = problem; return produced }
                    finished = true
                    throw problem
                }
            }
            stream.next_in = inBuffer + inStart
            stream.avail_in = UInt32(inEnd - inStart)
            let rc = inflate(&stream, Z_NO_FLUSH)
            inStart = inEnd - Int(stream.avail_in)
            if rc == Z_STREAM_END {
                // Another member may follow (concatenated gzip, as `cat a.gz b.gz` makes).
                try refill()
                if inStart == inEnd {
                    finished = true
                    break
                }
                if inBuffer[inStart] == 0x1F {
                    inflateReset(&stream)
                    continue
                }
                trailingGarbageBytes = Int64(inEnd - inStart)
                finished = true
                break
            }
            if rc != Z_OK && rc != Z_BUF_ERROR {
                let detail = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
                let produced = capacity - Int(stream.avail_out)
                let problem = SourceProblem(.compression, "the gzip data is corrupt (\(detail)) after \(decompressedBytes + Int64(produced)) decompressed bytes")
                if produced > 0 { pendingProblem = problem; return produced }
                finished = true
                throw problem
            }
        }
        return capacity - Int(stream.avail_out)
    }
}

public func formatBytes(_ n: Int64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    if u == 0 { return "\(n) bytes" }
    let whole = v.rounded() == v
    return whole ? "\(Int(v)) \(units[u])" : "\(Double(Int(v * 10)) / 10) \(units[u])"
}

/// The system read(2); named apart so that methods called `read` do not shadow it.
@inline(__always) func posixRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buf, n)
    #else
    return Darwin.read(fd, buf, n)
    #endif
}
