// llr-validate: check quarterly returns before sending them.
//
// Usage:
//   llr-validate [options] FILE...
//
// Checks each return (a .csv.gz, or a plain .csv before it is compressed)
// against the LLR data contract in Pipelines/: its name, its bytes, its
// header, every row and every cell, and the domain rules (NHS number and UPN
// checks, dates inside the quarter, ages, conditional fields). Prints a
// report with the row, line, column and value of every finding.
//
// Exit status: 0 every file valid (warnings allowed), 1 a file is not valid,
// 2 the tool could not run (bad arguments, unreadable Pipelines/).
//
// Examples:
//   llr-validate UHL_health_2024-25_Q1.csv.gz
//   llr-validate --format html --output report.html UHL_health_2024-25_Q1.csv.gz
//   llr-validate --partner UHL --period 2024-25_Q1 export.csv
//   llr-validate --format json --rejects rejects/ returns/*.csv.gz

import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRValidation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-validate",
        abstract: "Check LLR quarterly returns against the data contract before sending them.",
        discussion: """
        Each FILE is a return named PARTNER_family_YYYY-YY_Qn.csv.gz (for example \
        UHL_health_2024-25_Q1.csv.gz; a resubmission adds _v2). Plain .csv is accepted too. \
        Every finding gives the row (as a spreadsheet numbers it, header = 1), the physical \
        line, the column and the value, so you can fix the record in your own system.

        Exit status: 0 valid (warnings allowed), 1 not valid, 2 the tool could not run.
        """)

    @Argument(help: ArgumentHelp("Return files to check (.csv.gz or .csv).", valueName: "file"))
    var files: [String] = []

    @Option(help: "Report format: text (for reading), json (spec §6, for machines), or html (a page to open in a browser).")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file instead of the screen.", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("Write the rejected rows (original cells, rowNumber, codes) as .csv.gz: a file for one return, a folder for several.", valueName: "path"))
    var rejects: String?

    @Option(help: "Keep at most this many findings per file in the report; the summary still counts them all.")
    var maxFindings: Int = 1000

    @OptionGroup var contract: ContractOptions

    @Option(help: ArgumentHelp("Largest cell accepted, in bytes.", valueName: "bytes"))
    var maxCellBytes: Int = 1 << 20

    @Option(help: ArgumentHelp("Stop reading a file whose CSV text exceeds this many bytes (guards against decompression bombs).", valueName: "bytes"))
    var maxDecompressedBytes: Int64 = 4 << 30

    @Option(help: "Files checked at the same time; with cores to spare, each file also inflates on a second core. Defaults to the number of cores.")
    var jobs: Int = coreCount

    @Flag(name: .shortAndLong, help: "Log progress to standard error.")
    var verbose = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one return file, e.g. llr-validate UHL_health_2024-25_Q1.csv.gz") }
        if maxFindings < 0 { throw ValidationError("--max-findings must be 0 or more") }
        if maxCellBytes < 1024 { throw ValidationError("--max-cell-bytes must be at least 1024") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        var logger = Logger(label: "llr-validate")
        logger.logLevel = verbose ? .info : .warning
        let pipelines = try self.contract.loadContract()
        var options = ValidationOptions()
        options.maxFindings = maxFindings
        options.partner = self.contract.partner
        options.period = self.contract.quarter
        options.asOf = self.contract.asOfDate
        options.limits = ReadLimits(maxCellBytes: maxCellBytes, maxDecompressedBytes: maxDecompressedBytes)
        var rejectsFolder: String?
        if let rejects {
            if files.count > 1 || rejects.hasSuffix("/") || isFolder(rejects) {
                if !isFolder(rejects) && mkdir(rejects, 0o755) != 0 {
                    throw CommandFailure("cannot create the rejects folder \(rejects): \(String(cString: strerror(errno)))")
                }
                rejectsFolder = rejects.hasSuffix("/") ? String(rejects.dropLast()) : rejects
            } else {
                options.rejectsPath = rejects
            }
        }
        logger.info("validating \(files.count) file(s) with \(pipelines.directory)")
        let reports = validateReturns(paths: files, pipelines: pipelines, options: options, rejectsFolder: rejectsFolder, jobs: jobs)
        for r in reports { logger.info("\(r.file): \(r.valid ? "valid" : "not valid") in \(r.stats.seconds) s") }
        let text: String
        switch format {
        case .text: text = TextReport.render(reports, catalog: pipelines.catalog)
        case .json: text = JSONReport.render(reports, asArray: files.count > 1)
        case .html: text = HTMLReport.render(reports, catalog: pipelines.catalog)
        }
        if let output {
            do {
                let out = try AtomicOutputFile(path: output)
                try out.write(text)
                try out.commit()
            } catch {
                throw CommandFailure("\(error)")
            }
        } else {
            print(text, terminator: "")
        }
        if reports.contains(where: { !$0.valid }) { throw ExitCode(1) }
    }
}

func isFolder(_ p: String) -> Bool {
    var st = stat()
    return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

