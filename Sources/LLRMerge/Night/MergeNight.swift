import LLRCore
import LLRDedupe
import LLRMeasures
import Logging

/// One night's merge: what the stages hand on to each other, in the order
/// they run (`runMerge`): open, inbox, validate tonight's files, rebuild,
/// publish, commit.
final class MergeNight {
    let options: MergeOptions
    let pipelines: Pipelines
    let linkage: LinkageSettings
    let settings: MergeSettings
    let measures: MeasureCatalogue
    let pseudonyms: Pseudonymiser
    let logger: Logger
    let progress: MergeProgress
    let asOf: CivilDate
    let staging: Staging
    /// The normalised cache, and tonight's scratch folder, in the state.
    let cache: String
    let incoming: String

    var result = MergeResult()
    private var clock = StageClock()
    /// nil on a dry run before any ledger exists.
    var ledger: Ledger?
    /// The ledger's entries before tonight.
    var known: [LedgerEntry] = []
    var files: [InboxFile] = []
    var fingerprint = ""
    /// Indexes into `result.files` of the files read tonight: new, changed,
    /// or made again for a damaged cache.
    var todo: [Int] = []
    /// Cached returns (by file name) found missing or damaged, and why.
    var cacheProblems: [String: String] = [:]
    /// Stems whose cached rows are damaged and not made again tonight: left
    /// out whole, as the notice says, rather than read in part.
    var leftOut = Set<String>()
    /// The ledger after tonight.
    var entries: [LedgerEntry] = []
    /// The measures as first published, read before tonight's and written after the commit.
    let publishedMeasures = Locked<PublishedMeasures>(PublishedMeasures())
    var publishedMeasuresPath: String { options.stateDir + "/measures-published.csv.gz" }

    init(options: MergeOptions, contract: MergeContract, pseudonyms: Pseudonymiser, logger: Logger, progress: MergeProgress) {
        self.options = options
        pipelines = contract.pipelines
        linkage = contract.linkage
        settings = contract.settings
        measures = contract.measures
        self.pseudonyms = pseudonyms
        self.logger = logger
        self.progress = progress
        asOf = options.asOf ?? CivilDate.today
        staging = Staging(outDir: options.outDir)
        cache = options.stateDir + "/normalised"
        incoming = options.stateDir + "/incoming"
        result.asOf = asOf
        result.startedAt = timestampUTC()
    }

    func lap(_ name: String) {
        clock.lap(name)
        result.seconds = clock.laps
    }

    func notice(_ text: String) {
        logger.warning("\(text)")
        result.notices.append(text)
    }
}
