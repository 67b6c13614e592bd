// llr-normalise: align returns to the one LLR event schema.
//
// Usage:
//   llr-normalise --out DIR [options] FILE...
//
// Validates each return with the same rules as llr-validate, then writes for
// each one DIR/<stem>.events.csv.gz (the aligned events: canonical event
// type, ISO dates, financial year and quarter, LA, postcode district, age and
// age band, sex, ethnicity group and ONS category), DIR/<stem>.identifiers.csv.gz
// (normalised names, dob, postcode, NHS number, UPN and source ids, raw values
// kept; restricted, never mixed into the events) and DIR/<stem>.rejects.csv.gz
// (rows with errors, with their codes). Prints a summary per file and the
// most frequent free-text values that matched nothing.
//
// Exit status: 0 every return fully valid, 1 some rows were rejected or a file
// could not be read (outputs are still written), 2 the tool could not run.

import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRNormalise
import LLRValidation
#if canImport(Glibc)
import Glibc
#endif

struct NormaliseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-normalise",
        abstract: "Validate returns and write their rows in the aligned LLR event schema.")

    @Option(help: ArgumentHelp("Folder for the events, identifiers and rejects files.", valueName: "dir"))
    var out: String

    @Argument(help: ArgumentHelp("Return files (.csv.gz or .csv).", valueName: "file"))
    var files: [String] = []

    @OptionGroup var contract: ContractOptions

    @Option(help: "Cores to use: files normalised at the same time and, from 2, compression on workers of its own; 1 keeps the run on one core (default: the number of cores).")
    var jobs: Int = coreCount

    @Option(help: ArgumentHelp("gzip level of the events and identifiers files: 1 small and quick (default), 0 stored uncompressed inside gzip (about 5× the disk, no compression work; what llr-merge keeps), up to 9.", valueName: "n"))
    var level: Int32 = 1

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one return file, e.g. llr-normalise --out aligned UHL_health_2024-25_Q1.csv.gz") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !(0...9).contains(level) { throw ValidationError("--level must be 0 to 9 (0 stores, 1 is quickest to compress)") }
    }

    func run() throws {
        let pipelines = try contract.loadContract()
        if mkdir(out, 0o755) != 0 && errno != EEXIST {
            throw CommandFailure("cannot create the output folder \(out): \(String(cString: strerror(errno)))")
        }
        var options = ValidationOptions()
        options.partner = contract.partner
        options.period = contract.quarter
        options.asOf = contract.asOfDate
        let results = normaliseReturns(paths: files, pipelines: pipelines, options: options, outDir: out, jobs: jobs, level: level)
        var failed = false
        for r in results {
            let s = r.report.stats
            print("\(r.report.file): \(r.events) events, \(s.rowsRejected) rows rejected, \(s.errors) errors, \(s.warnings) warnings")
            if let p = r.outputProblem { print("  could not write the outputs: \(p)"); failed = true }
            if !r.unmapped.isEmpty {
                print("  most frequent unmapped values (add them to Pipelines/codelists.yaml):")
                for (value, n) in r.unmapped.prefix(5) { print("    \(n) × \(value)") }
            }
            if !r.report.valid { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}

