import Dispatch
import LLRCore

/// Validates several returns at once, one file per worker (up to `jobs`);
/// reports come back in the order the files were given, whatever the timing.
public func validateReturns(paths: [String], pipelines: Pipelines, options: ValidationOptions, rejectsFolder: String?, jobs: Int) -> [ValidationReport] {
    let results = ReportSlots(count: paths.count)
    let workers = max(1, min(jobs, paths.count))
    // Cores left over after one per file inflate ahead of the parser.
    var shared = options
    if jobs >= 2 * paths.count { shared.readAhead = true }
    let base = shared
    let next = Counter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let i = next.take(below: paths.count) {
            var opts = base
            if let rejectsFolder { opts.rejectsPath = rejectsFolder + "/" + rejectsName(for: paths[i]) }
            results.set(i, validateReturn(path: paths[i], pipelines: pipelines, options: opts))
        }
    }
    return results.all()
}

/// `UHL_health_2024-25_Q1.csv.gz` → `UHL_health_2024-25_Q1.rejects.csv.gz`.
public func rejectsName(for path: String) -> String {
    var stem = baseName(path)
    for ext in [".csv.gz", ".gz", ".csv"] where stem.lowercased().hasSuffix(ext) {
        stem = String(stem.dropLast(ext.count))
        break
    }
    return stem + ".rejects.csv.gz"
}

/// Hands out work items to Dispatch workers.
final class Counter: @unchecked Sendable {
    private let lock = MutexLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

final class ReportSlots: @unchecked Sendable {
    private let lock = MutexLock()
    private var slots: [ValidationReport?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: ValidationReport) { lock.withLock { slots[i] = r } }
    func all() -> [ValidationReport] { lock.withLock { slots.map { $0! } } }
}
