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

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    @Option(help: ArgumentHelp("Partner code or name, for a file whose name breaks the convention.", valueName: "code"))
    var partner: String?

    @Option(help: ArgumentHelp("Financial year and quarter, for a file whose name breaks the convention (e.g. 2024-25_Q1).", valueName: "period"))
    var period: String?

    @Option(help: ArgumentHelp("The date the return was made, yyyy-mm-dd (default: the file's modification date).", valueName: "date"))
    var asOf: String?

    @Option(help: "Files normalised at the same time (default: the number of cores).")
    var jobs: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one return file") }
        if let period, FinancialQuarter(period) == nil { throw ValidationError("--period '\(period)' is not a quarter: write it like 2024-25_Q1") }
        if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date: write it like 2024-07-15") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines
        do { contract = try Pipelines.load(from: dir) } catch { throw NormaliseFailure("cannot read the data contract in \(dir): \(error)") }
        mkdir(out, 0o755)
        var options = ValidationOptions()
        options.partner = partner
        options.period = period.flatMap(FinancialQuarter.init)
        options.asOf = asOf.flatMap { CivilDate(iso: $0) }
        let results = normaliseReturns(paths: files, pipelines: contract, options: options, outDir: out, jobs: jobs)
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

struct NormaliseFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func runNormalise() -> Never {
    do {
        var command = try NormaliseCommand.parseAsRoot()
        try command.run()
        exit(0)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch let failure as NormaliseFailure {
        writeStandardError("llr-normalise: \(failure.description)\n")
        exit(2)
    } catch {
        if NormaliseCommand.exitCode(for: error) == .success {
            print(NormaliseCommand.fullMessage(for: error))
            exit(0)
        }
        writeStandardError(NormaliseCommand.fullMessage(for: error) + "\n")
        exit(2)
    }
}
