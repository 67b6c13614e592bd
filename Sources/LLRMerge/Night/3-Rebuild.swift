import LLRCore
import LLRDedupe
import LLRNormalise
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MergeNight {
    /// Stage 3: deduplicate and link everything received, into the staging
    /// folder. Partners' feedback needs only the validation: it is written
    /// on a worker meanwhile (deduplication leaves a core idle at times).
    func rebuild() throws(MergeFailure) {
        progress.show("deduplicating and linking")
        try staging.begin()
        try makeFolders(staging.path("outbox"))
        let tonight = result.processedTonight, catalog = pipelines.catalog, staging = staging, logger = logger
        let feedback = WorkerResult(onWorker: options.jobs > 1) { () -> String? in
            let started = monotonicSeconds()
            defer { logger.info("partner feedback: \(decimalText(monotonicSeconds() - started, places: 2)) s") }
            do { try writeFeedbackReports(tonight, staging: staging, catalog: catalog) } catch { return "\(error)" }
            return nil
        }
        // Never left writing into the staging folder after the run has given up on it.
        defer { _ = feedback.value }
        let returns = cachedReturns()
        if !returns.isEmpty {
            try deduplicate(returns)
        } else {
            result.notices.append("no return could be read yet, so there is no dataset to build")
        }
        if let failure = feedback.value { throw MergeFailure("writing the partners' feedback failed: \(failure)") }
        lap("deduplicate + link")
    }

    /// Every return in the normalised cache but those left out tonight,
    /// each under the name it came in (the cache keeps only the stem: a
    /// plain .csv return had been named .csv.gz in the lineage).
    private func cachedReturns() -> [NormalisedReturn] {
        var (returns, problems) = discoverNormalised([cache], registry: pipelines.registry)
        returns.removeAll { leftOut.contains($0.stem) }
        problems.removeAll { p in leftOut.contains { p.hasPrefix($0 + ":") } }  // named already, with the operator's advice
        var cameAs: [String: String] = [:]
        for e in known where e.wasRead { cameAs[returnStem(e.fileName)] = e.fileName }
        for o in result.files where o.entry.status == .processed { cameAs[returnStem(o.file.name)] = o.file.name }
        for i in returns.indices { if let name = cameAs[returns[i].stem] { returns[i].sourceFile = name } }
        for p in problems { notice(p) }
        return returns
    }

    /// Contract §5 over the cached returns. The published extract's events
    /// and persons are written beside their .csv.gz as the rows are made;
    /// the database and the indicators read those plain copies instead of
    /// inflating again.
    private func deduplicate(_ returns: [NormalisedReturn]) throws(MergeFailure) {
        try makeFolders(staging.path("published"))
        do {
            let plain = ["events.csv.gz": staging.path("published/events.csv"), "persons.csv.gz": staging.path("published/persons.csv")]
            result.dedupe = try LLRDedupe.deduplicate(returns, pipelines: pipelines, linkage: linkage, pseudonyms: pseudonyms,
                                                      options: DedupeOptions(outDir: staging.dir, statePath: options.stateDir + "/linkage.sqlite",
                                                                             jobs: options.jobs, plainCopies: plain))
        } catch { throw MergeFailure(error.description) }
        for p in result.dedupe!.problems {
            // Damage that came after the check before the night (or in a file
            // it could not judge) shows when the file is read: the advice is the operator's.
            notice(p.hasPrefix(cache + "/")
                ? p + ". This is the merge's own copy of a return: delete its files in \(cache) and run the merge again, and they are made again from the inbox"
                : p)
        }
        logger.info("deduplication stages: \(result.dedupe!.seconds.map { "\($0.0) \(decimalText($0.1, places: 2)) s" }.joined(separator: ", "))")
        do {
            try writeLinkageFeedback(result.dedupe!.idConflicts, staging: staging, registry: pipelines.registry, catalog: pipelines.catalog)
        } catch { throw MergeFailure("writing the partners' linkage feedback failed: \(error)") }
        try makeFolders(staging.path("restricted"))
        for name in ["person_identifiers.csv.gz", "review.csv"] where rename(staging.path(name), staging.path("restricted/" + name)) != 0 {
            throw MergeFailure("cannot move \(name) into restricted/: \(String(cString: strerror(errno)))")
        }
    }
}
