import LLRCore
import LLRDedupe
import LLRMeasures

extension MergeNight {
    /// Stage 4: the ledger after tonight, then indicators, quality, the
    /// database, the published extract and the run report, into staging.
    func publish() throws(MergeFailure) {
        settleLedger()
        progress.show("writing indicators, quality, llr.sqlite and the published extract")
        let leftOutFiles = Set(entries.filter { $0.wasRead && leftOut.contains(returnStem($0.fileName)) }.map(\.fileName))
        result.quality = qualityRows(ledger: entries, registry: pipelines.registry, settings: settings, asOf: asOf, leftOut: leftOutFiles)
        result.topFindings = topFindings(entries)
        do { publishedMeasures.value = try PublishedMeasures.read(path: publishedMeasuresPath) } catch { throw MergeFailure(error.description) }
        let commentary = try commentaryInDataset()
        let written = try writeDataset(result, staging: staging, pipelines: pipelines, settings: settings, measures: measures,
                                       history: publishedMeasures, commentary: commentary, cache: cache, jobs: options.jobs, logger: logger)
        result.indicators = written.indicators
        result.measures = written.measures.figures
        result.measureTitles = measures.measures.map { ($0.code, $0.title) }
        result.measureProblems = written.measures.problems
        result.discrepancies = written.measures.discrepancies
        for p in Set(written.measures.problems).sorted() { notice(p) }
        lap("indicators, database, extract, feedback")
        result.outputs = listFiles(staging.dir, prefix: "").filter { !$0.contains(".tmp-") }
        try writeRunReport(result, to: staging, settings: settings, timings: true)
    }

    /// The commentary of every return of a family whose rows are not events
    /// that counts tonight (read, and not superseded by a later version),
    /// from the rows the normaliser kept in the cache.
    private func commentaryInDataset() throws(MergeFailure) -> [CommentaryRow] {
        var rows: [CommentaryRow] = []
        for e in entries where e.status == .processed && !leftOut.contains(returnStem(e.fileName)) {
            guard let schema = pipelines.families[e.family], !schema.producesEvents,
                  case .success(let name) = ReturnFileName.parse(e.fileName, registry: pipelines.registry) else { continue }
            let path = cache + "/" + returnStem(e.fileName) + ".statements.csv.gz"
            do { rows += try CommentaryTable.readStatements(path: path, name: name, sourceFile: e.fileName, roles: schema.roles) } catch {
                notice("\(error.description): its commentary is not in tonight's pack")
            }
        }
        return rows
    }

    /// The ledger after tonight: replaced bytes, superseded versions. A
    /// return (one stem, one set of cached rows) has one read entry, the
    /// latest: new bytes read replace the old whether those were processed
    /// or superseded (a version sent again after its successor) and whether
    /// they came as .csv.gz or .csv. Leaving the old entry read had counted
    /// one return twice in the ledger and the quality table; a ledger
    /// written so is mended here too.
    private func settleLedger() {
        entries = known + result.processedTonight.map(\.entry)
        var latest: [String: Int] = [:]
        for k in entries.indices where entries[k].wasRead {
            let stem = returnStem(entries[k].fileName)
            guard let j = latest[stem] else { latest[stem] = k; continue }
            let older = entries[k].firstRun >= entries[j].firstRun ? j : k
            entries[older].status = .replaced
            latest[stem] = older == j ? k : j
        }
        let superseded = Set((result.dedupe?.supersededReturns ?? []).map { returnStem($0) })
        for k in entries.indices where entries[k].wasRead {
            entries[k].status = superseded.contains(returnStem(entries[k].fileName)) ? .superseded : .processed
        }
        for i in result.files.indices {
            if let e = entries.last(where: { $0.fileName == result.files[i].file.name && $0.sha256 == result.files[i].file.sha256 }) { result.files[i].entry = e }
        }
    }
}
