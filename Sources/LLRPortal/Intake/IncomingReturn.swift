import Crypto
import Foundation
import LLRCore
import LLRValidation
#if canImport(Glibc)
import Glibc
#endif

/// What a partner gets back for an upload: the stored name, its SHA-256,
/// its size and when it came.
public struct Receipt: Sendable, Equatable {
    public var storedName: String
    public var sha256: String
    public var bytes: Int64
    public var time: String
}

/// A return arriving over HTTP. Its bytes go, as they come, to a file of
/// its own in a hidden folder of the inbox (the merge skips hidden names),
/// counted against the cap and hashed; `finish` checks it with the very
/// rules of llr-validate, flushes it to disk and renames it into the inbox.
/// Anything that ends otherwise (too large, the client gone, a file that
/// cannot be read) leaves nothing in the inbox.
public final class IncomingReturn: @unchecked Sendable {
    let name: String
    let folder: String
    let path: String
    let maxBytes: Int64
    private var fd: Int32
    private var hasher = SHA256()
    public private(set) var bytes: Int64 = 0

    init(name: String, incoming: String, maxBytes: Int64) throws(UploadRefusal) {
        self.name = name
        self.maxBytes = maxBytes
        folder = incoming + "/" + randomToken(12)
        path = folder + "/" + name
        do { try makeDirectories(folder) } catch { throw UploadRefusal(500, "the inbox cannot take files: \(error)") }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw UploadRefusal(500, "the inbox cannot take files: \(String(cString: strerror(errno)))") }
    }

    deinit { discard() }

    /// Writes the next part of the body; over the cap, the upload is dropped whole.
    public func append(_ chunk: UnsafeRawBufferPointer) throws(UploadRefusal) {
        guard fd >= 0 else { throw UploadRefusal(500, "the upload was already closed") }
        bytes += Int64(chunk.count)
        if bytes > maxBytes {
            discard()
            throw UploadRefusal(413, "the file is over the portal's limit of \(maxBytes / 1_048_576) MB: compress it (.csv.gz) or ask the business unit")
        }
        hasher.update(bufferPointer: chunk)
        var off = 0
        while off < chunk.count {
            let w = write(fd, chunk.baseAddress! + off, chunk.count - off)
            if w <= 0 {
                let why = String(cString: strerror(errno))
                discard()
                throw UploadRefusal(507, "the inbox could not store the file (\(why)); try again later")
            }
            off += w
        }
    }

    /// The file, flushed to disk and closed; its SHA-256.
    func close() throws(UploadRefusal) -> String {
        guard fd >= 0 else { throw UploadRefusal(500, "the upload was already closed") }
        let synced = fsync(fd) == 0
        Glibc.close(fd)
        fd = -1
        guard synced else { discard(); throw UploadRefusal(507, "the inbox could not store the file; try again later") }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Removes whatever was stored.
    public func discard() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        unlink(path)
        rmdir(folder)
    }
}
