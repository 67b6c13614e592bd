import LLRCore
import LLRNormalise
import LLRValidation

extension MergeNight {
    /// Stage 2: validate and normalise what is new, into a scratch folder;
    /// the normalised cache takes a return only when it could be read.
    func validateTonight() throws(MergeFailure) {
        removeTree(incoming)
        try makeFolders(cache, incoming)
        let remade = findDamagedCache()
        todo = result.files.indices.filter { result.files[$0].action != .unchanged } + remade
        let (normalised, checkedAsOf) = normaliseTodo()
        for (k, i) in todo.enumerated() {
            let (report, norm) = normalised[k]
            if result.files[i].action == .unchanged {
                try restoreCache(i, norm: norm, report: report)
            } else {
                try recordTonight(i, report: report, norm: norm, checkedAsOf: checkedAsOf[k])
            }
        }
        noteCacheLost()
        lap("validate + normalise")
    }

    /// A return the ledger counts in the dataset whose normalised files are
    /// gone from the state or damaged (deleted by hand, a full disk, a
    /// restore stopped halfway) is made again from the inbox when its bytes
    /// are still there, and named in the report when they are not:
    /// rebuilding without it would drop its rows from the dataset, silently.
    /// Every byte is checked against its CRC before the night, on the
    /// workers (about 0.3 GB of cache at 1M rows): damage found only as the
    /// rows are read would leave part of a return in the dataset. Returns
    /// the files to make again.
    private func findDamagedCache() -> [Int] {
        let read = known.filter(\.wasRead)
        let found = concurrentMap(read.count, jobs: options.jobs) { [cache] i in cacheProblem(cache + "/" + returnStem(read[i].fileName)) }
        for (e, problem) in zip(read, found) { if let problem { cacheProblems[e.fileName] = problem } }
        return result.files.indices.filter { i in
            let o = result.files[i]
            return o.action == .unchanged && o.entry.wasRead && cacheProblems[o.file.name] != nil
        }
    }

    /// Validates and normalises the files in `todo`, side by side on the
    /// workers; returns each one's report and normalised files, and the day
    /// it was checked as of.
    private func normaliseTodo() -> ([(ValidationReport, NormaliseResult?)], [CivilDate]) {
        var validation = ValidationOptions()
        validation.asOf = options.asOf
        // A file gets a second thread of its own (inflating ahead, writing its
        // stored-gzip cache files) only when there are fewer files than
        // workers; otherwise the hand-over to that thread costs more than the
        // copying it takes off.
        let ownThreads = todo.count < options.jobs
        validation.readAhead = ownThreads
        let work = todo.map { result.files[$0].file }
        // Each return is checked as of the run's --as-of, else the day it came;
        // one made again for the cache, as of the day it was first checked, so
        // its rows come out as they first did (a later day had passed dates
        // that were in the future then, and rejected fewer rows).
        let checkedAsOf = todo.map { i -> CivilDate in
            let o = result.files[i]
            if o.action == .unchanged, let first = CivilDate(iso: o.entry.checkedAsOf) { return first }
            return options.asOf ?? o.file.received
        }
        let checks = validation, pipelines = pipelines, progress = progress, incoming = incoming
        progress.reset()
        // Largest files first, so the workers finish together rather than one
        // waiting on a big file taken last.
        let normalised = concurrentMapLargestFirst(work.count, jobs: options.jobs, size: { Int(work[$0].bytes) }) { i -> (ValidationReport, NormaliseResult?) in
            defer { progress.step("validating and normalising", of: work.count) }
            let f = work[i]
            var checks = checks
            checks.asOf = checkedAsOf[i]
            if f.returnName == nil || f.nameProblem != nil {
                return (validateReturn(path: f.path, pipelines: pipelines, options: checks), nil)
            }
            let r = normaliseReturn(path: f.path, pipelines: pipelines, options: checks, outDir: incoming, level: 0,
                                    background: ownThreads)
            return (r.report, r)
        }
        return (normalised, checkedAsOf)
    }

    /// A cached return made again from the inbox: the ledger and tonight's
    /// feedback stay as they were.
    private func restoreCache(_ i: Int, norm: NormaliseResult?, report: ValidationReport) throws(MergeFailure) {
        let outcome = result.files[i]
        let text: String, problem = cacheProblems[outcome.file.name] ?? ""
        if let norm, unreadable(report, norm) == nil {
            try moveIntoCache(norm, stem: returnStem(outcome.file.name), cache: cache)
            text = "\(outcome.file.name): its normalised rows in the state \(problem); they were made again from the inbox"
        } else {
            text = "\(outcome.file.name): its normalised rows in the state \(problem) and could not be made again, so its rows are not in tonight's dataset"
            leftOut.insert(returnStem(outcome.file.name))
        }
        cacheProblems[outcome.file.name] = nil
        notice(text)
    }

    /// A file new or changed tonight: its ledger entry from its report, and
    /// its normalised rows into the cache when it could be read.
    private func recordTonight(_ i: Int, report: ValidationReport, norm: NormaliseResult?, checkedAsOf: CivilDate) throws(MergeFailure) {
        var outcome = result.files[i]
        var report = report
        report.stats.seconds = 0  // partner feedback is the same whenever it is rebuilt
        outcome.report = report
        var e = outcome.entry
        e.firstRun = result.run
        e.checkedAsOf = checkedAsOf.description
        e.rows = report.stats.rows; e.rowsRejected = report.stats.rowsRejected
        e.errors = report.stats.errors; e.warnings = report.stats.warnings
        e.duplicates = report.count(.duplicateRow)
        e.findings = pairsText(report.summary.map { ($0.code.rawValue, $0.count) })
        if let problem = outcome.file.nameProblem {
            e.status = .unrecognised
            e.problem = problem
        } else if let norm, let failure = unreadable(report, norm) {
            e.status = .failed
            e.problem = failure
        } else if let norm {
            e.status = .processed
            e.events = norm.events
            e.completeness = pairsText(norm.completeness.map { ($0.field, $0.filled) })
            try moveIntoCache(norm, stem: returnStem(outcome.file.name), cache: cache)
        }
        outcome.entry = e
        result.files[i] = outcome
        if e.status != .processed { logger.warning("\(outcome.file.name): \(e.status): \(e.problem)") }
    }

    /// The rest of the damaged cache could not be made again: their bytes
    /// have left the inbox, or the inbox holds other bytes under the name
    /// that cannot be read (which leave the earlier version in the dataset,
    /// from its cache). A return read again tonight, under this name or the
    /// other (.csv, .csv.gz), has new cached rows and is whole.
    private func noteCacheLost() {
        let inInbox = Set(files.map(\.name))
        let readTonight = Set(result.processedTonight.filter { $0.entry.status == .processed }.map { returnStem($0.file.name) })
        for (name, problem) in cacheProblems.sorted(by: { $0.key < $1.key }) where !readTonight.contains(returnStem(name)) {
            notice(inInbox.contains(name)
                ? "\(name): its normalised rows in the state \(problem), and the file in the inbox is now one that cannot be read, so its rows are not in tonight's dataset: send the return again"
                : "\(name): its normalised rows in the state \(problem), and the file is no longer in the inbox, so its rows are not in tonight's dataset: put the file back in the inbox")
            leftOut.insert(returnStem(name))
        }
    }
}
