import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops two merges on one state folder at once. An advisory lock
/// (`flock`) on `merge.lock`: the kernel drops it when the holder exits,
/// however it exits, so a killed run never leaves a stale lock behind.
public final class MergeLock {
    private let fd: Int32

    public init(stateDir: String) throws(MergeFailure) {
        let path = stateDir + "/merge.lock"
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw MergeFailure("cannot open the lock \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var holder = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &holder, 31, 0)
            let pid = n > 0 ? String(decoding: holder[0..<n].prefix { $0 != 10 }, as: UTF8.self) : "?"
            close(fd)
            throw MergeFailure("another merge is running on \(stateDir) (process \(pid)); this one did nothing. Wait for it to finish, then run again")
        }
        let me = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, me, me.count, 0)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
