import Crypto
import Dispatch
import LLRCore
import LLRDedupe
import LLRMeasures
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
    /// The board's measures tonight, and what left any of them empty.
    public var measures: [MeasureFigure] = []
    /// Each measure's code and title, in the catalogue's order.
    public var measureTitles: [(code: String, title: String)] = []
    public var measureProblems: [String] = []
    /// Partners' own figures that disagree with their records (contract §8).
    public var discrepancies: [Discrepancy] = []
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
/// Each stage is a method of `MergeNight`, in a file of its own under `Night/`.
public func runMerge(_ options: MergeOptions, contract: MergeContract,
                     pseudonyms: Pseudonymiser, logger: Logger, progress: MergeProgress) throws(MergeFailure) -> MergeResult {
    if let clash = folderClash(inbox: options.inbox, out: options.outDir, state: options.stateDir) { throw MergeFailure(clash) }
    let night = MergeNight(options: options, contract: contract, pseudonyms: pseudonyms, logger: logger, progress: progress)
    let lock = try night.open()
    defer { withExtendedLifetime(lock) {} }
    try night.readInbox()
    guard let ledger = night.ledger, !options.dryRun else { return night.result }
    if try night.nothingNew(ledger) { return night.result }
    try night.validateTonight()
    try night.rebuild()
    try night.publish()
    try night.commit(ledger)
    return night.result
}

/// Indicators, the database, the published extract and the rejects,
/// written concurrently into the staging folder (the partners' feedback is
/// written during deduplication): the database's big tables load (the
/// lineage and the links in side files beside the others) while the
/// indicators are counted; its small tables follow. Returns the indicators.
func writeDataset(_ result: MergeResult, staging: Staging, pipelines: Pipelines, settings: MergeSettings, measures: MeasureCatalogue,
                  history: Locked<PublishedMeasures>, commentary: [CommentaryRow], cache: String, jobs: Int, logger: Logger) throws(MergeFailure)
    -> (indicators: [IndicatorRow], measures: MeasureResult) {
    try makeFolders(staging.path("published"), staging.path("rejects"))
    let hasData = result.dedupe != nil
    let database = Locked<AnalystDatabase?>(nil)
    let indicators = Locked<[IndicatorRow]>([])
    let measured = Locked<MeasureResult>(MeasureResult())
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
        ("indicators, measures, quality and the published extract", {
            try writeQuality(result.quality, to: staging.path("quality.csv.gz"), gzip: true)
            try writeQuality(result.quality, to: staging.path("published/quality.csv"), gzip: false)
            try CommentaryTable.write(commentary, to: staging.path("commentary.csv.gz"))
            guard hasData else { return }
            // The indicators and the measures read the events in one pass.
            var events = MeasureEventsBuilder(contract: pipelines)
            let eventsPath = staging.path("published/events.csv")
            let rows = try computeIndicators(eventsPath: eventsPath, mappings: pipelines.mappings, settings: settings,
                                             alsoHeader: { events.header($0) }, alsoRow: { events.add($0) })
            indicators.value = rows
            try writeIndicators(rows, to: staging.path("indicators.csv.gz"), mappings: pipelines.mappings, settings: settings,
                                suppression: nil, gzip: true)
            try writeIndicators(rows, to: staging.path("published/indicators.csv"), mappings: pipelines.mappings, settings: settings,
                                suppression: Suppression(rows, settings: settings), gzip: false)
            try writePublishedReadme(staging.path("published/README.md"), settings: settings, mappings: pipelines.mappings)
            measured.value = try writeMeasures(result, events: try events.finish(path: eventsPath), staging: staging, pipelines: pipelines,
                                               settings: settings, catalogue: measures, history: history, commentary: commentary, jobs: jobs)
        }),
        ("rejects", {
            for o in result.processedTonight where o.report != nil {
                let rejects = cache + "/" + returnStem(o.file.name) + ".rejects.csv.gz"
                if o.entry.status == .processed && o.entry.rowsRejected > 0 && fileExists(rejects) {
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
        try db.load(table: "measures", csv: staging.path("measures.csv.gz"))
        try db.finish()
    }
    return (indicators.value, measured.value)
}

/// The board's measures over tonight's events, for every quarter a return
/// was received for: `measures.csv.gz`, `published/measures.csv` and
/// `restricted/measure_members.csv.gz`.
func writeMeasures(_ result: MergeResult, events: MeasureEvents, staging: Staging, pipelines: Pipelines, settings: MergeSettings,
                   catalogue: MeasureCatalogue, history: Locked<PublishedMeasures>, commentary: [CommentaryRow], jobs: Int) throws -> MeasureResult {
    let quarters = Array(Set(result.quality.filter { !$0.file.isEmpty }.map(\.quarter))).sorted()
    let run = MeasureRun(catalogue: catalogue, contract: pipelines, totalCode: settings.totalCode)
    // One core: the other tasks of this stage take the other workers.
    let received = Set(result.quality.filter { $0.hasCounts }.map { $0.partner + "|" + $0.quarter.fileToken })
    var measured = run.compute(events, quarters: quarters, received: received, jobs: 1)
    history.value.mark(&measured.figures)
    let said = run.reconcile(commentary, figures: measured.figures)
    measured.discrepancies = said.discrepancies
    try run.write(measured, events: events, quarters: quarters, to: staging.dir, totalName: settings.totalName,
                  suppressMinimum: settings.suppressMinimum, suppressMaximum: settings.suppressMaximum,
                  marker: settings.suppressionMarker, commentary: said, background: jobs > 1)
    return measured
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
    let fileLevel = report.findings.filter { $0.rowNumber == nil && $0.severity == .error && $0.code != .filenameError }
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

/// Finding codes over the returns that count (not replaced), most frequent first.
func topFindings(_ entries: [LedgerEntry]) -> [(code: String, count: Int)] {
    var counts: [String: Int] = [:]
    for e in entries where e.status != .replaced {
        for (code, n) in parsePairs(e.findings) { counts[code, default: 0] += n }
    }
    return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { (code: $0.key, count: $0.value) }
}

/// What tonight's answer depends on: every inbox file's name and bytes, the
/// as-of date and the data contract. Equal fingerprints, equal outputs.
/// `decisions`: the clerical decisions in force, so a night after new
/// decisions is not "nothing new".
func inputsFingerprint(_ files: [InboxFile], asOf: CivilDate, pipelinesDir: String, decisions: String = "") -> String {
    var h = SHA256()
    if !decisions.isEmpty { h.update(data: Array("decisions \(decisions)\n".utf8)) }
    for f in files { h.update(data: Array("\(f.name)\t\(f.sha256)\t\(f.received)\n".utf8)) }
    h.update(data: Array("as-of \(asOf)\n".utf8))
    for rel in listFiles(pipelinesDir, prefix: "") {
        h.update(data: Array("\(rel)\n".utf8))
        if let bytes = readSmallFile(pipelinesDir + "/" + rel) { h.update(data: bytes) }
    }
    return h.finalize().withUnsafeBytes { hexString($0) }
}
