import Dispatch

/// Anything the CSV reader can pull decompressed bytes from.
public protocol ByteSource: AnyObject {
    /// Up to `capacity` bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(SourceProblem) -> Int
}

extension ReturnByteStream: ByteSource {}

/// Inflates on a second Dispatch worker while the caller parses: a ring of
/// fixed buffers with semaphores, so the inflater runs at most `depth` chunks
/// ahead (back-pressure) and memory stays flat. Output is byte-identical to
/// reading the stream directly.
public final class ReadAheadSource: ByteSource, @unchecked Sendable {
    private let chunkSize = 256 * 1024
    private let depth: Int
    private let buffers: [UnsafeMutablePointer<UInt8>]
    // Guarded by the semaphores: slot k is written by the producer between
    // `free.wait()` and `filled.signal()`, read by the consumer between
    // `filled.wait()` and `free.signal()`.
    private var counts: [Int]
    private var problems: [SourceProblem?]
    private let free: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)
    private let done = DispatchGroup()
    private let lock = MutexLock()
    private var cancelled = false
    private var readSlot = 0
    private var offset = 0
    private var finished = false
    private let stream: StreamBox

    final class StreamBox: @unchecked Sendable {
        let stream: ReturnByteStream
        init(_ s: ReturnByteStream) { stream = s }
    }

    public init(_ stream: ReturnByteStream, depth: Int = 4) {
        self.depth = depth
        self.stream = StreamBox(stream)
        buffers = (0..<depth).map { _ in .allocate(capacity: 256 * 1024) }
        counts = Array(repeating: 0, count: depth)
        problems = Array(repeating: nil, count: depth)
        free = DispatchSemaphore(value: depth)
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in produce() }
    }

    deinit {
        stop()
        for b in buffers { b.deallocate() }
    }

    /// Stops the inflater and waits for it; afterwards the stream's counters
    /// may be read safely. Safe to call more than once.
    public func stop() {
        lock.withLock { cancelled = true }
        free.signal()
        done.wait()
    }

    private func produce() {
        defer { done.leave() }
        var slot = 0
        while true {
            free.wait()
            if lock.withLock({ cancelled }) { return }
            var n = 0
            var problem: SourceProblem?
            do { n = try stream.stream.read(into: buffers[slot], capacity: chunkSize) } catch { problem = error }
            counts[slot] = n
            problems[slot] = problem
            filled.signal()
            if n == 0 { return }
            slot = (slot + 1) % depth
        }
    }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(SourceProblem) -> Int {
        if finished { return 0 }
        if offset == 0 { filled.wait() }
        let n = counts[readSlot]
        if n == 0 {
            finished = true
            if let p = problems[readSlot] { throw p }
            return 0
        }
        let take = min(capacity, n - offset)
        buffer.update(from: buffers[readSlot] + offset, count: take)
        offset += take
        if offset == n {
            offset = 0
            readSlot = (readSlot + 1) % depth
            free.signal()
        }
        return take
    }

}
