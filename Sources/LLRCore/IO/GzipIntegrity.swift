import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a gzip file the pipeline wrote itself is not whole (cut short by a
/// full disk or a copy stopped halfway, a block header overwritten), or nil
/// when it is whole.
///
/// A stream of stored blocks, as the merge keeps its normalised cache, is
/// judged by walking its block headers (five bytes per block of up to 64 KiB)
/// and its trailer, without reading the data, so a night can check every
/// cached return for the cost of a few thousand small reads. Any other gzip
/// file is inflated to its end, which is meant for small ones (the cache's
/// rejects and duplicates). Damage inside a stored block's data is left to
/// the CRC check when the file is read, unless `checkData` asks for the
/// stored blocks' data to be read and checked against the trailer's CRC
/// here (a read of the whole file, at memory speed).
public func gzipDamage(path: String, checkData: Bool = false) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "cannot be opened (\(String(cString: strerror(errno))))" }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
    let size = Int64(st.st_size)
    var header = [UInt8](repeating: 0, count: 10)
    guard size >= 18, pread(fd, &header, 10, 0) == 10, header[0] == 0x1F, header[1] == 0x8B, header[2] == 8 else {
        return "is not a whole gzip file (\(size) bytes)"
    }
    var block = [UInt8](repeating: 0, count: 5)
    // Header fields (a name, a comment) or a compressed first block: inflate it all.
    guard header[3] == 0, pread(fd, &block, 5, 10) == 5, (block[0] >> 1) & 3 == 0 else { return inflatedDamage(path: path) }
    var at: Int64 = 10, data: UInt64 = 0, crc: UInt = 0
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: checkData ? 65_535 : 1)
    defer { buffer.deallocate() }
    while true {
        guard at + 5 <= size, pread(fd, &block, 5, off_t(at)) == 5 else { return "is cut short at byte \(size) (its blocks reach past the end)" }
        if (block[0] >> 1) & 3 != 0 { return "has a damaged block header at byte \(at)" }
        let length = UInt16(block[1]) | UInt16(block[2]) << 8, check = UInt16(block[3]) | UInt16(block[4]) << 8
        if length ^ check != 0xFFFF { return "has a damaged block header at byte \(at)" }
        if checkData && length > 0 {
            guard pread(fd, buffer, Int(length), off_t(at + 5)) == Int(length) else { return "is cut short at byte \(size) (its blocks reach past the end)" }
            crc = crc32_z(crc, buffer, Int(length))
        }
        at += 5 + Int64(length)
        data += UInt64(length)
        if block[0] & 1 == 1 { break }
    }
    var trailer = [UInt8](repeating: 0, count: 8)
    guard at + 8 <= size, pread(fd, &trailer, 8, off_t(at)) == 8 else { return "is cut short at byte \(size) (its trailer is missing)" }
    if at + 8 != size { return "has \(size - at - 8) bytes after its end" }
    let length = UInt32(trailer[4]) | UInt32(trailer[5]) << 8 | UInt32(trailer[6]) << 16 | UInt32(trailer[7]) << 24
    if length != UInt32(truncatingIfNeeded: data) { return "has a trailer that does not match its data (\(length) bytes against \(data))" }
    let stated = UInt32(trailer[0]) | UInt32(trailer[1]) << 8 | UInt32(trailer[2]) << 16 | UInt32(trailer[3]) << 24
    if checkData && UInt32(truncatingIfNeeded: crc) != stated { return "has data that does not match its checksum (CRC-32)" }
    return nil
}

private func inflatedDamage(path: String) -> String? {
    let stream: ReturnByteStream
    do throws(SourceProblem) { stream = try ReturnByteStream(path: path) } catch { return error.message }
    let capacity = 64 * 1024
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    do throws(SourceProblem) {
        while try stream.read(into: buffer, capacity: capacity) > 0 {}
    } catch { return "cannot be read to its end (\(error.kind.rawValue) after \(stream.decompressedBytes) bytes)" }
    if stream.trailingGarbageBytes > 0 { return "has \(stream.trailingGarbageBytes) bytes after its end" }
    return nil
}
