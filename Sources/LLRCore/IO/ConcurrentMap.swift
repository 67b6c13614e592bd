import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` for 0..<count on up to `jobs` Dispatch workers (one item at
/// a time per worker, so a big file does not hold up the small ones) and
/// returns the results in index order, whatever the timing.
public func concurrentMap<T: Sendable>(_ count: Int, jobs: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let slots = Slots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
        while let i = slots.take() { slots.set(i, body(i)) }
    }
    return slots.results()
}

/// `concurrentMap` taking the items largest first, by `size`, so that the
/// workers finish together rather than one waiting on a big item taken
/// last; the results come back in index order.
public func concurrentMapLargestFirst<T: Sendable>(_ count: Int, jobs: Int, size: (Int) -> Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let sizes = (0..<count).map(size)
    let order = (0..<count).sorted { (sizes[$0], $1) > (sizes[$1], $0) }
    let taken = concurrentMap(count, jobs: jobs) { [order] k in body(order[k]) }
    var results = taken
    for (k, i) in order.enumerated() { results[i] = taken[k] }
    return results
}

/// `body` over consecutive ranges covering 0..<count (about 16 per worker),
/// results in range order: for a million small items, where a lock per item
/// would cost more than the item.
public func concurrentChunks<T: Sendable>(_ count: Int, jobs: Int, _ body: @escaping @Sendable (Range<Int>) -> T) -> [T] {
    let pieces = max(1, min(count, max(1, jobs) * 16))
    return concurrentMap(pieces, jobs: jobs) { k in body(count * k / pieces ..< count * (k + 1) / pieces) }
}

/// `body` for each of 0..<count, in index order, worked out in ranges as
/// `concurrentChunks` hands them out: a map over a million small items.
public func concurrentMapInChunks<T: Sendable>(_ count: Int, jobs: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    concurrentChunks(count, jobs: jobs) { range in range.map(body) }.flatMap { $0 }
}

/// A value worked out on a Dispatch worker while the caller goes on, or at
/// once on the caller's thread when the run is kept to one core; `value`
/// waits for it.
public final class WorkerResult<T: Sendable>: @unchecked Sendable {
    private let done = DispatchGroup()
    // Written once, by the worker before it leaves `done`; read after waiting on it.
    private var result: T?

    public init(onWorker: Bool, _ body: @escaping @Sendable () -> T) {
        if onWorker {
            done.enter()
            DispatchQueue.global().async {
                self.result = body()
                self.done.leave()
            }
        } else {
            result = body()
        }
    }

    public var value: T {
        done.wait()
        return result!
    }
}

/// Hands out indexes and keeps results, under one lock.
private final class Slots<T>: @unchecked Sendable {
    private let lock = MutexLock()
    private var next = 0
    private var values: [T?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func take() -> Int? {
        lock.withLock {
            guard next < values.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func set(_ i: Int, _ v: T) { lock.withLock { values[i] = v } }
    func results() -> [T] { lock.withLock { values.map { $0! } } }
}

/// Seconds on a clock that never jumps, for measuring stages.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Times a run's stages one after another: each `lap` records the seconds
/// since the last one under the stage's name.
public struct StageClock: Sendable {
    public private(set) var laps: [(String, Double)] = []
    private var last = monotonicSeconds()

    public init() {}

    public mutating func lap(_ name: String) {
        let now = monotonicSeconds()
        laps.append((name, now - last))
        last = now
    }
}
