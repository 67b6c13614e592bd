import ArgumentParser
import LLRCommandLine
import LLRKeyOptions
import LLRCore
import LLRValidation
import LLRDedupe

struct RunDedupe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Deduplicate and link normalised returns (the default).",
        discussion: """
        Reads folders or files written by llr-normalise (<return>.events.csv.gz with its identifiers, \
        rejects and duplicates files) and writes events.csv.gz, persons.csv.gz, \
        person_identifiers.csv.gz (restricted), links.csv.gz, review.csv (restricted) and lineage.csv.gz.
        """)

    @Option(help: ArgumentHelp("Folder for the outputs.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("SQLite file keeping person ids from one run to the next (created when missing).", valueName: "db"))
    var state: String?

    @OptionGroup var key: KeyOptions

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    @Option(help: "Cores to use: files read and pairs scored at the same time and, from 2, compression on workers of its own; 1 keeps the run on one core (default: the number of cores).")
    var jobs: Int = coreCount

    @Flag(help: "Also print the estimated m and u of every comparison level.")
    var verbose = false

    @Argument(help: ArgumentHelp("Folders or files written by llr-normalise.", valueName: "normalised"))
    var inputs: [String] = []

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give the folder llr-normalise wrote, e.g. llr-dedupe --out dataset --demo-key aligned/") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines, linkage: LinkageSettings
        do {
            contract = try Pipelines.load(from: dir)
            linkage = try LinkageSettings.load(contract: contract)
        } catch { throw CommandFailure("cannot read the data contract in \(dir): \(error)") }
        let pseudonyms = try key.resolve()
        let (returns, problems) = discoverNormalised(inputs, registry: contract.registry)
        for p in problems { writeStandardError("llr-dedupe: \(p)\n") }
        if returns.isEmpty { throw CommandFailure("no normalised returns found in \(inputs.joined(separator: ", ")); run llr-normalise --out DIR first") }
        try makeDirectory(out)
        let summary: DedupeSummary
        do {
            summary = try deduplicate(returns, pipelines: contract, linkage: linkage, pseudonyms: pseudonyms,
                                      options: DedupeOptions(outDir: out, statePath: state, jobs: jobs))
        } catch { throw CommandFailure(error.description) }
        for p in summary.problems { writeStandardError("llr-dedupe: \(p)\n") }
        let s = summary.status
        print("\(summary.returns) returns (\(summary.supersededReturns.count) superseded), \(summary.rowsReceived) rows: "
              + RowStatus.allCases.map { "\(s[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        print("\(summary.events) events (\(summary.crossAgencyMatches) reported by two agencies), \(summary.persons) children "
              + "(\(summary.newPersons) new ids, \(summary.aliases) merged into older ids)")
        print("linkage: \(summary.link.records) records, \(summary.link.profiles) distinct details, \(summary.link.candidatePairs) candidate pairs, "
              + "\(summary.review) pairs for review, \(summary.link.refusedByGuard) joins refused by the NHS/UPN guard, "
              + "\(summary.link.idConflicts.reduce(0, +)) records sharing an id with another child's (same id, different child?)")
        if !summary.decisions.isEmpty {
            let applied = summary.decisions.filter { $0.status == .applied }.count
            let carried = summary.decisions.filter(\.throughResubmission).count
            print("clerical decisions: \(summary.decisions.count) in force, \(applied) applied (\(carried) to rows of a resubmission)")
        }
        print("timings: " + summary.seconds.map { "\($0.0) \(decimalText($0.1, places: 2)) s" }.joined(separator: ", "))
        if verbose { RunDedupe.printModel(summary) }
        print("outputs in \(out)/: " + dedupeOutputFiles.joined(separator: ", "))
    }
}

extension RunDedupe {
    static func printModel(_ s: DedupeSummary) {
        print("model: \(s.link.trainingPairs) training pairs, \(s.link.randomPairs) random pairs; candidate pairs per blocking rule: \(s.link.pairsPerRule)")
        for p in s.link.parameters { print("  \(p.field) \(p.level): m \(decimalText(p.m, places: 4)) u \(decimalText(p.u, places: 5))") }
    }
}
