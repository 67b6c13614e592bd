import Dispatch

/// Compresses and writes output on a Dispatch worker while the caller goes
/// on producing rows. Chunks of one output stay in order (a serial queue);
/// each output bounds its own chunks in flight (at most 2 MiB), so a fast
/// producer waits instead of filling memory. The bound was once shared by
/// all outputs, and an output whose compression lagged could hold every
/// slot while the others' producers waited with nothing of theirs queued:
/// at 1M rows and --jobs 2, the dedupe's writing left 0.21-0.35 core-s
/// idle that way, 0.09-0.20 with a bound per output (perf timelines, three
/// runs each; a bound of 8 per output left 0.29-0.32). The bytes written
/// are the same as writing in line. With `inline` (a run asked to use one
/// core) each chunk is compressed and written on the caller's thread instead.
public final class BackgroundWriter: @unchecked Sendable {
    /// At most this many chunks (of ~32–64 KiB) queued for this output.
    private let inFlight = DispatchSemaphore(value: 32)

    private let queue: DispatchQueue
    private let lock = MutexLock()
    private var failure: OutputError?
    private let outputs: [ChunkedOutput]
    private let inline: Bool

    /// Each chunk is written to every one of `outputs`, in order, and each is
    /// committed in turn; from then on only the worker uses them.
    public init(label: String, inline: Bool = false, outputs: [ChunkedOutput]) {
        queue = DispatchQueue(label: label)
        self.inline = inline
        self.outputs = outputs
    }

    private func sink(_ chunk: [UInt8]) throws(OutputError) {
        for o in outputs { try o.write(chunk) }
    }

    private func finish() throws(OutputError) {
        for o in outputs { try o.commit() }
    }

    public func write(_ chunk: [UInt8]) throws(OutputError) {
        if let f = lock.withLock({ failure }) { throw f }
        if inline { return try sink(chunk) }
        inFlight.wait()
        queue.async { [self] in
            defer { inFlight.signal() }
            if lock.withLock({ failure }) != nil { return }
            do { try sink(chunk) } catch let e as OutputError { lock.withLock { failure = e } } catch {}
        }
    }

    /// Waits for every chunk, then commits; the first failure is thrown.
    public func commit() throws(OutputError) {
        if inline { return try finish() }
        queue.sync { [self] in
            if lock.withLock({ failure }) != nil { return }
            do { try finish() } catch let e as OutputError { lock.withLock { failure = e } } catch {}
        }
        if let f = lock.withLock({ failure }) { throw f }
    }
}
