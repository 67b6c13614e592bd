// llr-merge: the unattended nightly merge into the aligned LLR dataset.
//
// Usage:
//   llr-merge --inbox DIR --out DIR [--state DIR] [--jobs N] [--as-of DATE]
//             (--key-file FILE | LLR_PSEUDONYM_KEY | --demo-key) [--dry-run] [--log-level LEVEL]
//
// Finds the return files in the inbox and records each in the ledger
// (STATE/ledger.sqlite: sha256, partner, family, period, version, received
// date, status). New or changed files are validated and normalised; then
// every return received so far is deduplicated and linked, and the dataset
// is rebuilt beside the last good one and committed at once:
//   OUT/events, persons, links, lineage, indicators, quality (.csv.gz)
//   OUT/llr.sqlite            the same tables, indexed, with views
//   OUT/restricted/           person_identifiers.csv.gz, review.csv
//   OUT/published/            the analyst extract (no identifiers, small counts suppressed)
//   OUT/rejects/PARTNER/      rejected rows of tonight's files
//   OUT/outbox/PARTNER/       each partner's validation report (HTML and JSON)
//   OUT/run-report.html, run-report.json
// A night with nothing new stops early and changes nothing. A file that
// cannot be read is a finding in the report, not a failed night.
//
// With --warehouse URL (or LLR_WAREHOUSE_URL), a completed night is then
// loaded into PostgreSQL and swapped in whole (`llr-merge warehouse-init`
// sets the warehouse up once).
//
// Exit status: 0 the merge completed (rejected rows and unreadable files are
// in the report), 2 it could not complete (bad arguments, unreadable
// contract, another merge running, outputs that could not be written), 3
// the night completed on disk but the warehouse step failed (it says why;
// last night's warehouse tables stand and the next night tries again).

import ArgumentParser
import Foundation
import LLRCommandLine
import LLRKeyOptions
import LLRCore
import LLRDedupe
import LLRMerge
import LLRWarehouse
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct MergeTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-merge",
        abstract: "Merge the partners' returns in the inbox into the aligned LLR dataset (the nightly job).",
        subcommands: [MergeCommand.self, WarehouseInit.self, WarehouseLoad.self],
        defaultSubcommand: MergeCommand.self)
}

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "night",
        abstract: "Merge the partners' returns in the inbox into the aligned LLR dataset (the default; the nightly job).")

    @Option(help: ArgumentHelp("Folder the partners' return files arrive in.", valueName: "dir"))
    var inbox: String

    @Option(help: ArgumentHelp("Folder for the dataset, the published extract, partner feedback and the run report.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Folder for the ledger, the linkage state and the normalised returns (restricted; default: OUT/state).", valueName: "dir"))
    var state: String?

    @Option(help: "Cores to use: files processed at the same time and, from 2, compression and the linkage state on workers of their own; 1 keeps the run on one core (default: the number of cores). The outputs are the same whatever it is.")
    var jobs: Int = coreCount

    @Option(help: ArgumentHelp("The night this run stands for, yyyy-mm-dd (default: today). Late and missing returns are judged against it.", valueName: "date"))
    var asOf: String?

    @Option(help: ArgumentHelp("The Pipelines folder holding the data contract (default: the project's).", valueName: "dir"))
    var pipelines: String?

    @OptionGroup var key: KeyOptions

    @Flag(help: "List what would be processed, and do nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("After the night, load the dataset into this PostgreSQL warehouse (postgres://USER@HOST:5432/DB; default: LLR_WAREHOUSE_URL). The password comes from the URL, PGPASSWORD or ~/.pgpass.", valueName: "url"))
    var warehouse: String?

    @Option(help: ArgumentHelp("Log detail on standard error: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: String = "notice"

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date: write it like 2024-10-25") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level '\(logLevel)' is not a level: use trace, debug, info, notice, warning or error") }
        if !isDirectory(inbox) { throw ValidationError("the inbox \(inbox) is not a folder; give the folder partners' files arrive in") }
        if let clash = folderClash(inbox: inbox, out: out, state: state ?? out + "/state") { throw ValidationError(clash) }
    }

    func run() async throws {
        try night()
        guard !dryRun, let url = warehouseURL(warehouse) else { return }
        try await loadWarehouse(url: url, dataset: out, pipelines: pipelines, state: state ?? out + "/state")
    }

    func night() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "llr-merge")
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let loaded: MergeContract
        do { loaded = try MergeContract.load(from: dir) } catch { throw CommandFailure("cannot read the data contract in \(dir): \(error)") }
        let pseudonyms = try key.resolve()
        var options = MergeOptions(inbox: inbox, outDir: out, stateDir: state ?? out + "/state", jobs: jobs,
                                   asOf: asOf.flatMap { CivilDate(iso: $0) })
        options.dryRun = dryRun
        // The merge makes its hundreds of outputs durable together before its
        // commit point rather than fsyncing each as it is written.
        OutputDurability.deferToCommitPoint()
        let result: MergeResult
        do {
            result = try runMerge(options, contract: loaded, pseudonyms: pseudonyms,
                                  logger: logger, progress: MergeProgress(enabled: isatty(2) != 0))
        } catch { throw CommandFailure(error.description) }
        if dryRun { return printPlan(result) }
        if result.nothingNew {
            print("nothing new since run \(result.run): the dataset in \(out)/ is unchanged (report: \(out)/run-report.html)")
            return
        }
        printSummary(result)
    }

    func printPlan(_ r: MergeResult) {
        print("dry run: \(r.files.count) files in \(inbox), \(r.processedTonight.count) would be processed")
        for f in r.files {
            let what = f.file.nameProblem.map { "unrecognised name: \($0)" } ?? f.file.readProblem ?? ""
            print("  \(f.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(f.file.name)\(what.isEmpty ? "" : "  (\(what))")")
        }
    }

    func printSummary(_ r: MergeResult) {
        let tonight = r.processedTonight
        let failed = tonight.filter { $0.entry.status == .failed || $0.entry.status == .unrecognised }
        print("run \(r.run) as of \(r.asOf): \(r.files.count) files in the inbox, \(tonight.count) new or changed, \(failed.count) could not be used")
        for f in failed { print("  \(f.file.name): \(f.entry.status): \(f.entry.problem)") }
        if let d = r.dedupe {
            let s = d.status
            print("\(d.rowsReceived) rows: " + RowStatus.allCases.map { "\(s[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
            print("\(d.events) events (\(d.crossAgencyMatches) reported by two agencies), \(d.persons) children (\(d.newPersons) new ids)")
        }
        let late = r.quality.filter { $0.status == "late" }.count, missing = r.quality.filter { $0.status == "missing" }.count
        print("returns: \(r.quality.count) expected, \(late) late, \(missing) missing")
        print("timings: " + r.seconds.map { "\($0.0) \(decimalText($0.1, places: 2)) s" }.joined(separator: ", "))
        print("report: \(out)/run-report.html   dataset: \(out)/   published extract: \(out)/published/")
    }
}
