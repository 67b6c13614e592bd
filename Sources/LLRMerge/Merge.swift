import Crypto
import Dispatch
import LLRCore
import LLRDedupe
import LLRNormalise
import LLRValidation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct MergeOptions: Sendable {
    public var inbox: String
    public var outDir: String
    public var stateDir: String
    public var jobs: Int
    /// The night the run stands for: lateness, missing returns and future
    /// dates are judged against it. Default: today (UTC).
    public var asOf: CivilDate?
    public var dryRun = false

    public init(inbox: String, outDir: String, stateDir: String, jobs: Int, asOf: CivilDate? = nil) {
        self.inbox = inbox; self.outDir = outDir; self.stateDir = stateDir; self.jobs = jobs; self.asOf = asOf
    }
}

/// One inbox file and what became of it tonight.
public struct FileOutcome: Sendable {
    public var file: InboxFile
    public var action: InboxAction
    /// The ledger entry after tonight (status, counts).
    public var entry: LedgerEntry
    public var report: ValidationReport?
}

/// Everything the morning report says about one run.
public struct MergeResult: Sendable {
    public var run = 0
    public var asOf = CivilDate(year: 1970, month: 1, day: 1)
    public var startedAt = ""
    public var files: [FileOutcome] = []
    /// Set when nothing was new and the dataset was left as it was.
    public var nothingNew = false
    public var notices: [String] = []
    public var dedupe: DedupeSummary?
    public var quality: [QualityRow] = []
    public var indicators: [IndicatorRow] = []
    /// Finding codes over the returns in the dataset, most frequent first.
    public var topFindings: [(code: String, count: Int)] = []
    public var seconds: [(String, Double)] = []
    public var outputs: [String] = []

    public var processedTonight: [FileOutcome] { files.filter { $0.action != .unchanged } }
}

/// Tells the operator how far the run is; a no-op unless stderr is a terminal.
public final class MergeProgress: @unchecked Sendable {
    private let lock = MutexLock()
    private let enabled: Bool
    private var done = 0

    public init(enabled: Bool) { self.enabled = enabled }

    public func show(_ message: String) {
        guard enabled else { return }
        lock.withLock { writeStandardError("\r\u{1B}[K" + message) }
    }

    /// One more of `total` finished.
    public func step(_ what: String, of total: Int) {
        guard enabled else { return }
        lock.withLock {
            done += 1
            writeStandardError("\r\u{1B}[K\(what) \(done)/\(total)")
        }
    }

    public func reset() { lock.withLock { done = 0 } }

    public func finish() { if enabled { writeStandardError("\r\u{1B}[K") } }
}

/// The nightly merge: inbox → ledger → validate + normalise the new files →
/// deduplicate and link everything received → indicators, quality, the
/// analyst database, the published extract, partner feedback and the run
/// report, all built beside the last good dataset and committed at once.
public func runMerge(_ options: MergeOptions, pipelines: Pipelines, linkage: LinkageSettings, settings: MergeSettings,
                     pseudonyms: Pseudonymiser, logger: Logger, progress: MergeProgress) throws(MergeFailure) -> MergeResult {
    if let clash = folderClash(inbox: options.inbox, out: options.outDir, state: options.stateDir) { throw MergeFailure(clash) }
    var result = MergeResult()
    var clock = StageClock()
    func lap(_ name: String) {
        clock.lap(name)
        result.seconds = clock.laps
    }
    let asOf = options.asOf ?? CivilDate.today
    result.asOf = asOf
    result.startedAt = timestampUTC()

    // A dry run reads what is there and creates nothing: no folders, no
    // lock file, no ledger (a first dry run sees an empty ledger).
    if !options.dryRun { try makeFolders(options.stateDir, options.outDir) }
    let lock = options.dryRun && !fileExists(options.stateDir) ? nil : try MergeLock(stateDir: options.stateDir)
    defer { withExtendedLifetime(lock) {} }
    let staging = Staging(outDir: options.outDir)
    if !options.dryRun, let notice = try staging.recover() {
        logger.notice("\(notice)")
        result.notices.append(notice)
    }
    let ledgerPath = options.stateDir + "/ledger.sqlite"
    let ledger: Ledger?
    var known: [LedgerEntry]
    do {
        ledger = options.dryRun && !fileExists(ledgerPath) ? nil : try Ledger(path: ledgerPath)
        known = try ledger?.entries() ?? []
    } catch {
        throw MergeFailure("the ledger in \(options.stateDir) cannot be used: \(error.description). Restore ledger.sqlite from the last backup of the state folder (without it, returns that have left the inbox drop out of the dataset)")
    }

    // 1. What is in the inbox, and what is new.
    progress.show("reading the inbox")
    var files = try scanInbox(options.inbox, asOf: asOf, jobs: options.jobs)
    for i in files.indices {
        switch ReturnFileName.parse(files[i].name, registry: pipelines.registry) {
        case .success(let name): files[i].returnName = name
        case .failure(let problem): files[i].nameProblem = "the name breaks the convention PARTNER_family_YYYY-YY_Qn[_vN].csv.gz: " + problem.message(registry: pipelines.registry)
        }
    }
    markSameReturnTwice(&files)
    let byName = Dictionary(grouping: known, by: \.fileName)
    result.files = files.map { f in
        let seen = byName[f.name] ?? []
        let action: InboxAction = seen.contains { $0.sha256 == f.sha256 } ? .unchanged : (seen.isEmpty ? .new : .changed)
        let entry = seen.first { $0.sha256 == f.sha256 } ?? LedgerEntry(
            fileName: f.name, sha256: f.sha256, partner: f.returnName?.partner ?? "", family: f.returnName?.family ?? "",
            period: f.returnName?.quarter.fileToken ?? "", version: f.returnName?.version ?? 0, bytes: Int(f.bytes),
            received: f.received.description, firstRun: 0, status: "new")
        return FileOutcome(file: f, action: action, entry: entry, report: nil)
    }
    lap("inbox")
    let fingerprint = inputsFingerprint(files, asOf: asOf, pipelinesDir: pipelines.directory)
    guard let ledger, !options.dryRun else { return result }
    let last: (run: Int, fingerprint: String)?
    do { last = try ledger.lastRun() } catch { throw MergeFailure("the ledger cannot be read: \(error.description)") }
    if let last, last.fingerprint == fingerprint, fileExists(options.outDir + "/run-report.json") {
        result.nothingNew = true
        result.run = last.run
        return result
    }
    let run: Int
    do { run = try ledger.nextRun() } catch { throw MergeFailure("the ledger cannot be read: \(error.description)") }
    result.run = run
    logger.info("run \(run): \(files.count) files in the inbox, \(result.processedTonight.count) new or changed")

    // 2. Validate and normalise what is new, into a scratch folder; the
    //    normalised cache takes a return only when it could be read.
    let cache = options.stateDir + "/normalised"
    let incoming = options.stateDir + "/incoming"
    removeTree(incoming)
    try makeFolders(cache, incoming)
    // A return the ledger counts in the dataset whose normalised files are
    // gone from the state or damaged (deleted by hand, a full disk, a
    // restore stopped halfway) is made again from the inbox when its bytes
    // are still there, and named in the report when they are not:
    // rebuilding without it had dropped its rows from the dataset,
    // silently, with exit 0, or part of them with a warning.
    // Every byte is checked against its CRC, on the workers: about 0.3 GB
    // of cache at 1M rows, where damage found only when the rows were read
    // had left part of a return in the dataset.
    var cacheProblems: [String: String] = [:]
    let read = known.filter(\.wasRead)
    let found = concurrentMap(read.count, jobs: options.jobs) { i in cacheProblem(cache + "/" + returnStem(read[i].fileName)) }
    for (e, problem) in zip(read, found) { if let problem { cacheProblems[e.fileName] = problem } }
    let remade = result.files.indices.filter { i in
        let o = result.files[i]
        return o.action == .unchanged && o.entry.wasRead && cacheProblems[o.file.name] != nil
    }
    // Stems whose cached rows are damaged and not made again tonight: left
    // out whole, as the notice says, rather than read in part.
    var leftOut = Set<String>()
    let todo = result.files.indices.filter { result.files[$0].action != .unchanged } + remade
    var validation = ValidationOptions()
    validation.asOf = options.asOf
    // Files run side by side on the workers; a file gets a second thread of
    // its own (inflating ahead, writing its stored-gzip cache files) only
    // when there are fewer files than workers. Otherwise the hand-over to
    // that thread cost more than the copying it took off (validate +
    // normalise at 1M rows: 1.04 → 0.92 s, mean of four in turns).
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
    let checks = validation
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
    for (k, i) in todo.enumerated() {
        var outcome = result.files[i]
        var (report, norm) = normalised[k]
        if outcome.action == .unchanged {
            // Made again for the cache only: the ledger and tonight's feedback stay as they were.
            let notice: String, problem = cacheProblems[outcome.file.name] ?? ""
            if let norm, unreadable(report, norm) == nil {
                try moveIntoCache(norm, stem: returnStem(outcome.file.name), cache: cache)
                notice = "\(outcome.file.name): its normalised rows in the state \(problem); they were made again from the inbox"
            } else {
                notice = "\(outcome.file.name): its normalised rows in the state \(problem) and could not be made again, so its rows are not in tonight's dataset"
                leftOut.insert(returnStem(outcome.file.name))
            }
            cacheProblems[outcome.file.name] = nil
            logger.warning("\(notice)")
            result.notices.append(notice)
            continue
        }
        report.stats.seconds = 0  // partner feedback is the same whenever it is rebuilt
        outcome.report = report
        var e = outcome.entry
        e.firstRun = run
        e.checkedAsOf = checkedAsOf[k].description
        e.rows = report.stats.rows; e.rowsRejected = report.stats.rowsRejected
        e.errors = report.stats.errors; e.warnings = report.stats.warnings
        e.duplicates = report.count("duplicate-row")
        e.findings = pairsText(report.summary.map { ($0.code, $0.count) })
        if let problem = outcome.file.nameProblem {
            e.status = "unrecognised"
            e.problem = problem
        } else if let norm, let failure = unreadable(report, norm) {
            e.status = "failed"
            e.problem = failure
        } else if let norm {
            e.status = "processed"
            e.events = norm.events
            e.completeness = pairsText(norm.completeness.map { ($0.field, $0.filled) })
            try moveIntoCache(norm, stem: returnStem(outcome.file.name), cache: cache)
        }
        outcome.entry = e
        result.files[i] = outcome
        if e.status != "processed" { logger.warning("\(outcome.file.name): \(e.status): \(e.problem)") }
    }
    // The rest could not be made again: their bytes have left the inbox, or
    // the inbox holds other bytes under the name that cannot be read (which
    // leave the earlier version in the dataset, from its cache). A return
    // read again tonight, under this name or the other (.csv, .csv.gz), has
    // new cached rows and is whole.
    let inInbox = Set(files.map(\.name))
    let readTonight = Set(result.processedTonight.filter { $0.entry.status == "processed" }.map { returnStem($0.file.name) })
    for (name, problem) in cacheProblems.sorted(by: { $0.key < $1.key }) where !readTonight.contains(returnStem(name)) {
        let notice = inInbox.contains(name)
            ? "\(name): its normalised rows in the state \(problem), and the file in the inbox is now one that cannot be read, so its rows are not in tonight's dataset: send the return again"
            : "\(name): its normalised rows in the state \(problem), and the file is no longer in the inbox, so its rows are not in tonight's dataset: put the file back in the inbox"
        logger.warning("\(notice)")
        result.notices.append(notice)
        leftOut.insert(returnStem(name))
    }
    lap("validate + normalise")

    // 3. Deduplicate and link everything received, into the staging folder.
    //    Partners' feedback needs only the validation: it is written on a
    //    worker meanwhile (deduplication leaves a core idle at times).
    progress.show("deduplicating and linking")
    try staging.begin()
    try makeFolders(staging.path("outbox"))
    let tonight = result.processedTonight, catalog = pipelines.catalog
    let feedback = WorkerResult(onWorker: options.jobs > 1) { () -> String? in
        let started = monotonicSeconds()
        defer { logger.info("partner feedback: \(decimalText(monotonicSeconds() - started, places: 2)) s") }
        do { try writeFeedbackReports(tonight, staging: staging, catalog: catalog) } catch { return "\(error)" }
        return nil
    }
    // Never left writing into the staging folder after the run has given up on it.
    defer { _ = feedback.value }
    var (returns, problems) = discoverNormalised([cache], registry: pipelines.registry)
    returns.removeAll { leftOut.contains($0.stem) }
    problems.removeAll { p in leftOut.contains { p.hasPrefix($0 + ":") } }  // named already, with the operator's advice
    // Each cached return under the name it came in (the cache keeps only
    // the stem): a plain .csv return had been named .csv.gz in the lineage.
    var cameAs: [String: String] = [:]
    for e in known where e.wasRead { cameAs[returnStem(e.fileName)] = e.fileName }
    for o in result.files where o.entry.status == "processed" { cameAs[returnStem(o.file.name)] = o.file.name }
    for i in returns.indices { if let name = cameAs[returns[i].stem] { returns[i].sourceFile = name } }
    for p in problems { logger.warning("\(p)"); result.notices.append(p) }
    if !returns.isEmpty {
        // The published extract's events and persons are written beside
        // their .csv.gz as the rows are made; the database and the
        // indicators read those plain copies instead of inflating again.
        try makeFolders(staging.path("published"))
        do {
            let plain = ["events.csv.gz": staging.path("published/events.csv"), "persons.csv.gz": staging.path("published/persons.csv")]
            result.dedupe = try deduplicate(returns, pipelines: pipelines, linkage: linkage, pseudonyms: pseudonyms,
                                            options: DedupeOptions(outDir: staging.dir, statePath: options.stateDir + "/linkage.sqlite",
                                                                   jobs: options.jobs, plainCopies: plain))
        } catch { throw MergeFailure(error.description) }
        for p in result.dedupe!.problems {
            // Damage that came after the check before the night (or in a file
            // it could not judge) shows when the file is read: the advice is the operator's.
            let notice = p.hasPrefix(cache + "/")
                ? p + ". This is the merge's own copy of a return: delete its files in \(cache) and run the merge again, and they are made again from the inbox"
                : p
            logger.warning("\(notice)")
            result.notices.append(notice)
        }
        logger.info("deduplication stages: \(result.dedupe!.seconds.map { "\($0.0) \(decimalText($0.1, places: 2)) s" }.joined(separator: ", "))")
        try makeFolders(staging.path("restricted"))
        for name in ["person_identifiers.csv.gz", "review.csv"] where rename(staging.path(name), staging.path("restricted/" + name)) != 0 {
            throw MergeFailure("cannot move \(name) into restricted/: \(String(cString: strerror(errno)))")
        }
    } else {
        result.notices.append("no return could be read yet, so there is no dataset to build")
    }
    if let failure = feedback.value { throw MergeFailure("writing the partners' feedback failed: \(failure)") }
    lap("deduplicate + link")

    // The ledger after tonight: replaced bytes, superseded versions. A
    // return (one stem, one set of cached rows) has one read entry, the
    // latest: new bytes read replace the old whether those were processed
    // or superseded (a version sent again after its successor) and whether
    // they came as .csv.gz or .csv. Leaving the old entry read had counted
    // one return twice in the ledger and the quality table; a ledger
    // written so is mended here too.
    var entries = known + result.processedTonight.map(\.entry)
    var latest: [String: Int] = [:]
    for k in entries.indices where entries[k].wasRead {
        let stem = returnStem(entries[k].fileName)
        guard let j = latest[stem] else { latest[stem] = k; continue }
        let older = entries[k].firstRun >= entries[j].firstRun ? j : k
        entries[older].status = "replaced"
        latest[stem] = older == j ? k : j
    }
    let superseded = Set((result.dedupe?.supersededReturns ?? []).map { returnStem($0) })
    for k in entries.indices where entries[k].wasRead {
        entries[k].status = superseded.contains(returnStem(entries[k].fileName)) ? "superseded" : "processed"
    }
    for i in result.files.indices {
        if let e = entries.last(where: { $0.fileName == result.files[i].file.name && $0.sha256 == result.files[i].file.sha256 }) { result.files[i].entry = e }
    }

    // 4. Indicators, quality, the database, the published extract, feedback.
    progress.show("writing indicators, quality, llr.sqlite and the published extract")
    result.quality = qualityRows(ledger: entries, registry: pipelines.registry, settings: settings, asOf: asOf,
                                 leftOut: Set(entries.filter { $0.wasRead && leftOut.contains(returnStem($0.fileName)) }.map(\.fileName)))
    result.topFindings = topFindings(entries)
    result.indicators = try writeDataset(result, staging: staging, pipelines: pipelines, settings: settings, cache: cache,
                                         jobs: options.jobs, logger: logger)
    lap("indicators, database, extract, feedback")

    result.outputs = listFiles(staging.dir, prefix: "").filter { !$0.contains(".tmp-") }
    try writeRunReport(result, to: staging, settings: settings, timings: true)
    // The normalised cache on disk before the ledger counts its returns as processed.
    do { try OutputDurability.syncFileSystem(containing: cache) } catch { throw MergeFailure(error.description) }
    try staging.commit()
    removeTree(incoming)
    do {
        try ledger.record(run: run, started: result.startedAt, asOf: asOf.description, fingerprint: fingerprint,
                          filesNew: todo.count, entries: entries)
    } catch { throw MergeFailure("the dataset is in place but the ledger could not record the run (the next run repeats it): \(error.description)") }
    progress.finish()
    return result
}

/// Indicators, the database, the published extract and the rejects,
/// written concurrently into the staging folder (the partners' feedback is
/// written during deduplication): the database's big tables load (the
/// lineage and the links in side files beside the others) while the
/// indicators are counted; its small tables follow. Returns the indicators.
func writeDataset(_ result: MergeResult, staging: Staging, pipelines: Pipelines, settings: MergeSettings, cache: String, jobs: Int,
                  logger: Logger) throws(MergeFailure) -> [IndicatorRow] {
    try makeFolders(staging.path("published"), staging.path("rejects"))
    let hasData = result.dedupe != nil
    let database = Locked<AnalystDatabase?>(nil)
    let indicators = Locked<[IndicatorRow]>([])
    // llr.sqlite's lineage and links are each built in a side file of their
    // own while events and persons load into llr.sqlite; then they are
    // copied in, the lineage first (waiting for each if need be). The tables
    // go into the file in one order whatever the timing, so the same inputs
    // give the same bytes. The copies are a task of their own, listed last:
    // it is the only task that waits, and whatever it waits for was handed
    // out before it, so no worker waits for a task not yet started. The
    // side files, the indicators and the rejects take the other workers
    // meanwhile. (When the loading task went on to the copies itself, it
    // sat waiting for the links' side file at 1M rows, up to 0.3 s of a
    // core; before that, the links task waited for the loading.)
    let files = result.dedupe?.lineageFiles ?? []
    let lineage = SideTables(path: staging.path("llr.sqlite.lineage-\(getpid())"), content: .lineage, csv: staging.path("lineage.csv.gz"), files: files)
    let links = SideTables(path: staging.path("llr.sqlite.links-\(getpid())"), content: .links, csv: staging.path("links.csv.gz"), files: files)
    let loaded = DispatchGroup()
    loaded.enter()
    let load: (String, @Sendable () throws -> Void) = ("llr.sqlite", {
        defer { loaded.leave() }
        guard hasData else { return }
        let db = try AnalystDatabase(path: staging.path("llr.sqlite"), jobs: jobs)
        try db.load(table: "events", csv: staging.path("published/events.csv"))
        try db.load(table: "persons", csv: staging.path("published/persons.csv"))
        try db.index(["events", "persons"])
        database.value = db
    })
    let copies: (String, @Sendable () throws -> Void) = ("llr.sqlite lineage and links copied in", {
        loaded.wait()
        // No database: there is no data, or the loading failed and says why.
        guard let db = database.value else { return }
        try lineage.copy(into: db)
        try links.copy(into: db)
    })
    let sides: [(String, @Sendable () throws -> Void)] = [
        ("llr.sqlite lineage", { try lineage.build(hasData: hasData, jobs: jobs) }),
        ("llr.sqlite links", { try links.build(hasData: hasData, jobs: jobs) }),
    ]
    let others: [(String, @Sendable () throws -> Void)] = [
        ("indicators, quality and the published extract", {
            try writeQuality(result.quality, to: staging.path("quality.csv.gz"), gzip: true)
            try writeQuality(result.quality, to: staging.path("published/quality.csv"), gzip: false)
            guard hasData else { return }
            let rows = try computeIndicators(eventsPath: staging.path("published/events.csv"), mappings: pipelines.mappings, settings: settings)
            indicators.value = rows
            try writeIndicators(rows, to: staging.path("indicators.csv.gz"), mappings: pipelines.mappings, settings: settings,
                                suppression: nil, gzip: true)
            try writeIndicators(rows, to: staging.path("published/indicators.csv"), mappings: pipelines.mappings, settings: settings,
                                suppression: Suppression(rows, settings: settings), gzip: false)
            try writePublishedReadme(staging.path("published/README.md"), settings: settings, mappings: pipelines.mappings)
        }),
        ("rejects", {
            for o in result.processedTonight where o.report != nil {
                let rejects = cache + "/" + returnStem(o.file.name) + ".rejects.csv.gz"
                if o.entry.status == "processed" && o.entry.rowsRejected > 0 && fileExists(rejects) {
                    let folder = feedbackFolder(o)
                    try makeDirectories(staging.path("rejects/" + folder))
                    try copyFile(from: rejects, to: staging.path("rejects/\(folder)/\(feedbackName(o.file.name)).rejects.csv.gz"))
                }
            }
        }),
    ]
    let tasks = [sides[0], load, sides[1]] + others + [copies]
    let failures = concurrentMap(tasks.count, jobs: jobs) { i -> String? in
        let started = monotonicSeconds()
        defer { logger.info("\(tasks[i].0): \(decimalText(monotonicSeconds() - started, places: 2)) s") }
        do { try tasks[i].1(); return nil } catch let e as MergeFailure { return e.description } catch { return "\(error)" }
    }
    if let f = failures.compactMap({ $0 }).first { unlink(lineage.path); unlink(links.path); throw MergeFailure("writing the dataset failed: \(f)") }
    if let db = database.value {
        try db.load(table: "indicators", csv: staging.path("indicators.csv.gz"))
        try db.load(table: "quality", csv: staging.path("quality.csv.gz"))
        try db.finish()
    }
    return indicators.value
}

/// Tables of llr.sqlite built in a file of their own on one worker, for the
/// copying task to bring in once they are built.
final class SideTables: Sendable {
    let path: String
    let content: AnalystDatabase.SideContent
    let csv: String
    let files: [LineageFile]
    private let built = DispatchGroup()
    private let failure = Locked<String?>(nil)

    init(path: String, content: AnalystDatabase.SideContent, csv: String, files: [LineageFile]) {
        self.path = path
        self.content = content
        self.csv = csv
        self.files = files
        built.enter()
    }

    func build(hasData: Bool, jobs: Int) throws(MergeFailure) {
        defer { built.leave() }
        guard hasData else { return }
        do { try AnalystDatabase.buildSide(sidePath: path, side: content, csv: csv, files: files, jobs: jobs) } catch {
            failure.value = error.description
            throw error
        }
    }

    /// Copies the tables into llr.sqlite once they are built (waiting for that).
    func copy(into db: AnalystDatabase) throws(MergeFailure) {
        built.wait()
        if let f = failure.value { throw MergeFailure(f) }
        try db.copySide(sidePath: path)
    }
}

/// Each partner's validation report (JSON and HTML) for each file that came
/// in tonight, in `outbox/<PARTNER>/`: they need only the validation, so the
/// merge writes them on a worker while it deduplicates.
func writeFeedbackReports(_ outcomes: [FileOutcome], staging: Staging, catalog: FindingCatalog) throws(OutputError) {
    for o in outcomes {
        guard let report = o.report else { continue }
        let folder = feedbackFolder(o), base = feedbackName(o.file.name)
        try makeDirectories(staging.path("outbox/" + folder))
        let json = try AtomicOutputFile(path: staging.path("outbox/\(folder)/\(base).report.json"))
        try json.write(JSONReport.render([report], asArray: false)); try json.commit()
        let html = try AtomicOutputFile(path: staging.path("outbox/\(folder)/\(base).report.html"))
        try html.write(HTMLReport.render([report], catalog: catalog)); try html.commit()
    }
}

/// The partner's folder for a file's feedback (`_unrecognised` when the name named no partner).
func feedbackFolder(_ o: FileOutcome) -> String { o.entry.partner.isEmpty ? "_unrecognised" : o.entry.partner }

/// Two inbox files that name the same return (`X.csv` beside `X.csv.gz`,
/// or names differing only in case) would share one place in the normalised
/// cache and count twice in the quality table. One is taken: the file named
/// exactly by the convention (`.csv.gz`, lower case), else the first name in
/// byte order; every other copy becomes an unrecognised file whose feedback
/// names the one taken, so the partner can remove the extra copy.
func markSameReturnTwice(_ files: inout [InboxFile]) {
    var byStem: [String: [Int]] = [:]
    for i in files.indices where files[i].returnName != nil && files[i].nameProblem == nil {
        byStem[returnStem(files[i].name).lowercased(), default: []].append(i)
    }
    for group in byStem.values where group.count > 1 {
        let taken = group.min { a, b in
            let ca = namedByConvention(files[a].name), cb = namedByConvention(files[b].name)
            return ca != cb ? ca : Array(files[a].name.utf8).lexicographicallyPrecedes(Array(files[b].name.utf8))
        }!
        for i in group where i != taken {
            files[i].nameProblem = "\(files[taken].name) in the inbox is the same return (\(returnStem(files[taken].name))); only \(files[taken].name) is taken. "
                + "Remove one of the two copies, keeping the one you mean to send"
        }
    }
}

/// A file-level error (unreadable, not CSV, no rows) or outputs that could
/// not be written: the return's rows do not go into the dataset.
func unreadable(_ report: ValidationReport, _ norm: NormaliseResult) -> String? {
    if let p = norm.outputProblem { return "its normalised rows could not be written: \(p)" }
    let fileLevel = report.findings.filter { $0.rowNumber == nil && $0.severity == .error && $0.code != "filename-error" }
    if let f = fileLevel.first { return "\(f.code): \(f.message)" }
    return nil
}

/// What is wrong with a return's files in the normalised cache (`stem` is
/// the path without the suffixes), phrased to follow "its normalised rows
/// in the state", or nil when they are all there and whole.
func cacheProblem(_ stem: String) -> String? {
    for suffix in normalisedSuffixes {
        let path = stem + suffix
        if !fileExists(path) {
            // A return with no rejected or copied rows may have no such file.
            if suffix == ".events.csv.gz" || suffix == ".identifiers.csv.gz" { return "are missing (\(baseName(path)))" }
            continue
        }
        if let damage = gzipDamage(path: path, checkData: true) { return "are damaged (\(baseName(path)) \(damage))" }
    }
    return nil
}

/// Moves a return's normalised files into the cache, replacing every file
/// an earlier copy of the same return left there.
func moveIntoCache(_ norm: NormaliseResult, stem: String, cache: String) throws(MergeFailure) {
    for suffix in normalisedSuffixes {
        let to = cache + "/" + stem + suffix
        let from = parentDirectory(norm.eventsPath) + "/" + stem + suffix
        unlink(to)
        if fileExists(from) && rename(from, to) != 0 {
            throw MergeFailure("cannot move \(stem)\(suffix) into the normalised cache: \(String(cString: strerror(errno)))")
        }
    }
}

/// The name a file's feedback goes under in the outbox: the return's stem
/// when the file is named as the convention says (`X.csv.gz` → `X`), else
/// the whole name (`X.csv`, `X.CSV.GZ`, `notes.txt`), so two files that name
/// one return never share a report. Control characters (a name is whatever
/// the uploader typed) become `_`, so every output path stays one line of
/// the commit manifest.
func feedbackName(_ name: String) -> String {
    let base = namedByConvention(name) ? returnStem(name) : name
    return String(String.UnicodeScalarView(base.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "_" : $0 }))
}

/// Whether a file is named exactly as the convention says: its stem, then `.csv.gz`.
func namedByConvention(_ name: String) -> Bool { name == returnStem(name) + ".csv.gz" }

/// Finding codes over the returns that count (not replaced), most frequent first.
func topFindings(_ entries: [LedgerEntry]) -> [(code: String, count: Int)] {
    var counts: [String: Int] = [:]
    for e in entries where e.status != "replaced" {
        for (code, n) in parsePairs(e.findings) { counts[code, default: 0] += n }
    }
    return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { (code: $0.key, count: $0.value) }
}

/// What tonight's answer depends on: every inbox file's name and bytes, the
/// as-of date and the data contract. Equal fingerprints, equal outputs.
func inputsFingerprint(_ files: [InboxFile], asOf: CivilDate, pipelinesDir: String) -> String {
    var h = SHA256()
    for f in files { h.update(data: Array("\(f.name)\t\(f.sha256)\t\(f.received)\n".utf8)) }
    h.update(data: Array("as-of \(asOf)\n".utf8))
    for rel in listFiles(pipelinesDir, prefix: "") {
        h.update(data: Array("\(rel)\n".utf8))
        if let bytes = readSmallFile(pipelinesDir + "/" + rel) { h.update(data: bytes) }
    }
    return h.finalize().withUnsafeBytes { hexString($0) }
}


/// Now, as `2026-11-22T04:20:19Z`.
func timestampUTC() -> String {
    let t = Int(time(nil))
    let secs = t % 86400
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(CivilDate(epochSeconds: t))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
}
