import LLRCore
import LLRValidation

/// What normalising one return produced.
public struct NormaliseResult: Sendable {
    public var report: ValidationReport
    public var eventsPath: String
    public var identifiersPath: String
    public var rejectsPath: String
    public var duplicatesPath: String
    public var events: Int
    /// Free-text values that matched no known form, most frequent first.
    public var unmapped: [(String, Int)]
    /// Accepted rows with each field of the family filled, in schema order.
    public var completeness: [(field: String, filled: Int)] = []
    public var outputProblem: String?
}

/// Validates one return with the very rules of llr-validate and writes its
/// accepted rows, aligned, as `<stem>.events.csv.gz` and
/// `<stem>.identifiers.csv.gz` in `outDir`; rejected rows go to
/// `<stem>.rejects.csv.gz` with their codes, and exact copies of earlier
/// rows to `<stem>.duplicates.csv.gz` (`source_row, duplicate_of`), so
/// deduplication can account for every row received. `level` is the gzip
/// level of the events and identifiers: 1 for files handed between stages;
/// the nightly merge's cache, re-read every night, uses 0 (stored: no
/// compression work either way, about 5× the disk). `background` false
/// keeps the compression on this thread (a run asked to use one core).
public func normaliseReturn(path: String, pipelines: Pipelines, options: ValidationOptions, outDir: String, level: Int32 = 1,
                            background: Bool = true) -> NormaliseResult {
    let stem = returnStem(path)
    let events = outDir + "/" + stem + ".events.csv.gz"
    let ids = outDir + "/" + stem + ".identifiers.csv.gz"
    let duplicates = outDir + "/" + stem + ".duplicates.csv.gz"
    var opts = options
    opts.rejectsPath = outDir + "/" + stem + ".rejects.csv.gz"
    var partner = options.partner.flatMap { pipelines.registry.resolve($0)?.code }
    var family: String?
    if case .success(let name) = ReturnFileName.parse(baseName(path), registry: pipelines.registry) {
        if partner == nil { partner = name.partner }
        if partner == name.partner { family = name.family }
    }
    if let schema = family.flatMap({ pipelines.families[$0] }), !schema.producesEvents {
        return normaliseStatements(path: path, schema: schema, pipelines: pipelines, options: options, outDir: outDir)
    }
    do {
        let normaliser = try EventNormaliser(pipelines: pipelines, partner: partner ?? "", sourceFile: baseName(path), eventsPath: events, identifiersPath: ids, level: level,
                                              background: background)
        let copies = try CSVOutput(path: duplicates, header: ["source_row", "duplicate_of"])
        var failure: String?
        let report = validateReturn(path: path, pipelines: pipelines, options: opts, duplicateRows: { row, first in
            guard failure == nil else { return }
            do { try copies.writeRow { r in r.add(row); r.add(first) } } catch { failure = "\(error)" }
        }) { row in
            guard failure == nil else { return }
            do { try normaliser.accept(row) } catch { failure = "\(error)" }
        }
        if failure == nil {
            do { try normaliser.commit(); try copies.commit() } catch { failure = "\(error)" }
        }
        let unmapped = normaliser.unmapped.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
        return NormaliseResult(report: report, eventsPath: events, identifiersPath: ids, rejectsPath: opts.rejectsPath!,
                               duplicatesPath: duplicates, events: normaliser.rowsWritten, unmapped: unmapped,
                               completeness: Array(zip(normaliser.fieldNames, normaliser.filled)).map { (field: $0.0, filled: $0.1) },
                               outputProblem: failure)
    } catch {
        let report = validateReturn(path: path, pipelines: pipelines, options: opts)
        return NormaliseResult(report: report, eventsPath: events, identifiersPath: ids, rejectsPath: opts.rejectsPath!,
                               duplicatesPath: duplicates, events: 0, unmapped: [], outputProblem: "\(error)")
    }
}

/// Normalises several returns, one file per worker; results in input order.
/// With one job everything, compression included, stays on one core.
public func normaliseReturns(paths: [String], pipelines: Pipelines, options: ValidationOptions, outDir: String, jobs: Int,
                             level: Int32 = 1) -> [NormaliseResult] {
    concurrentMap(paths.count, jobs: jobs) { i in
        normaliseReturn(path: paths[i], pipelines: pipelines, options: options, outDir: outDir, level: level, background: jobs > 1)
    }
}
