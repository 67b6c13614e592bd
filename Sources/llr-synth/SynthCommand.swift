// llr-synth: realistic synthetic LLR returns, with the truth behind them.
//
// Usage:
//   llr-synth --out DIR --quarters 2024-25_Q1,2024-25_Q2 [--scale 1.0]
//             [--children N] [--seed S] [--error-rate R] [--resubmissions]
//
// Writes DIR/returns/*.csv.gz, one per partner and quarter, named by the
// convention, and DIR/truth/records.csv (file, rowNumber, person, event,
// injected) and DIR/truth/persons.csv. Volumes, places, names and groups
// come from Pipelines/synth/; the same arguments give the same bytes.

import ArgumentParser
import LLRCore
import LLRValidation
import LLRSynth
#if canImport(Glibc)
import Glibc
#endif

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-synth",
        abstract: "Write synthetic LLR quarterly returns for every partner, with ground truth.",
        discussion: "Real safeguarding data never leaves the partners; every test, demo and benchmark runs on these.")

    @Option(help: ArgumentHelp("Folder to write returns/ and truth/ into.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Comma-separated quarters, e.g. 2024-25_Q1,2024-25_Q2.", valueName: "quarters"))
    var quarters: String = ""

    @Flag(help: "Write nothing: give the returns already in OUT/returns the dates the generator gives them (git keeps no file dates).")
    var restoreDates = false

    @Option(help: "Volume multiplier: 1.0 is the LLR boards' published yearly figures.")
    var scale: Double = 1.0

    @Option(help: "Children in the population (default: the LAs' under-18 counts, scaled down when --scale is below 1).")
    var children: Int?

    @Option(help: "Random seed; the same seed and arguments give byte-identical files.")
    var seed: UInt64 = 1

    @Option(help: "Share of rows (0–1) given an error that llr-validate must find.")
    var errorRate: Double = 0

    @Option(help: ArgumentHelp("Share of rows (0–1) whose partner id (police, council, health) or, now and then, NHS number is another child's, as keyed wrong. 0.002 is HESID's false-match rate (Hagger-Johnson et al., BMJ Open 2015).", valueName: "share"))
    var wrongIdRate: Double = 0

    @Flag(help: "Also write _v2 resubmissions that correct some rows of the first version.")
    var resubmissions = false

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func validate() throws {
        if restoreDates { return }
        let qs = quarters.split(separator: ",").map { String($0) }
        if qs.isEmpty || qs.contains(where: { FinancialQuarter($0) == nil }) {
            throw ValidationError("--quarters must list quarters like 2024-25_Q1,2024-25_Q2")
        }
        if Set(qs).count < qs.count { throw ValidationError("--quarters names a quarter twice: list each once") }
        // nan and inf had crashed the run; 1e9 would have written for days.
        // 1000 is about 135M rows a year, well past England's volume (scale 74).
        if !(scale > 0 && scale <= 1000) { throw ValidationError("--scale must be above 0 and at most 1000 (74 gives about 10M rows a year)") }
        if !(0...1).contains(errorRate) { throw ValidationError("--error-rate must be between 0 and 1") }
        if !(0...1).contains(wrongIdRate) { throw ValidationError("--wrong-id-rate must be between 0 and 1, e.g. 0.002") }
        if let children, !(100...20_000_000).contains(children) { throw ValidationError("--children must be from 100 to 20,000,000") }
    }

    func run() throws {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract = try Pipelines.load(from: dir)
        if restoreDates {
            let n = restoreReturnDates(directory: out + "/returns", registry: contract.registry)
            return print("dated \(n) returns in \(out)/returns")
        }
        let settings = try SynthSettings.load(pipelines: dir)
        var options = SynthOptions(out: out, quarters: quarters.split(separator: ",").compactMap { FinancialQuarter(String($0)) })
        options.scale = scale
        options.children = children
        options.seed = seed
        options.errorRate = errorRate
        options.wrongIdRate = wrongIdRate
        options.resubmissions = resubmissions
        var ru = rusage()
        let started = monotonicClock()
        let summary = try SyntheticReturns(pipelines: contract, settings: settings, options: options).run()
        let seconds = monotonicClock() - started
        getrusage(RUSAGE_SELF.rawValue, &ru)
        print("wrote \(summary.files.count) returns, \(summary.rows) rows (\(summary.injected) with injected errors) about \(summary.children) children into \(out)")
        print("\(Int(Double(summary.rows) / max(seconds, 1e-9))) rows/s, peak memory \(ru.ru_maxrss / 1024) MiB")
    }
}

func monotonicClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
