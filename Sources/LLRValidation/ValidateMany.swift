import LLRCore

/// Validates several returns at once, one file per worker (up to `jobs`);
/// reports come back in the order the files were given, whatever the timing.
public func validateReturns(paths: [String], pipelines: Pipelines, options: ValidationOptions, rejectsFolder: String?, jobs: Int) -> [ValidationReport] {
    var base = options
    // Cores left over after one per file inflate ahead of the parser.
    if jobs >= 2 * paths.count { base.readAhead = true }
    let shared = base
    return concurrentMap(paths.count, jobs: jobs) { i in
        var opts = shared
        if let rejectsFolder { opts.rejectsPath = rejectsFolder + "/" + rejectsName(for: paths[i]) }
        return validateReturn(path: paths[i], pipelines: pipelines, options: opts)
    }
}

/// `UHL_health_2024-25_Q1.csv.gz` → `UHL_health_2024-25_Q1.rejects.csv.gz`.
public func rejectsName(for path: String) -> String { returnStem(path) + ".rejects.csv.gz" }

