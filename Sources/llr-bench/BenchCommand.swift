// llr-bench: measure llr-validate against the hardware floor.
//
// Usage:
//   llr-bench [--rows N] [--runs R] [--dir DIR]
//
// Writes (once, cached by row count) a valid health return of N rows, then
// measures, on one core, the floor (zlib inflate alone; inflate + libcsv
// parse alone), the project's reader, and full validation. Reports the
// median of R runs after a warm-up: seconds, MB/s of CSV text, rows/s,
// the ratio to the floor, and the process's peak resident memory.
// Always a release build: `make bench`.

import ArgumentParser
import LLRBench
import LLRCore
import LLRNormalise
import LLRValidation
#if canImport(Glibc)
import Glibc
#endif

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-bench",
        abstract: "Measure validation speed and memory against the zlib + libcsv floor (use a release build).")

    @Option(help: "Rows in the generated health return.")
    var rows: Int = 1_000_000

    @Option(help: "Timed runs per stage after one warm-up; the median is reported.")
    var runs: Int = 3

    @Option(help: ArgumentHelp("Folder for the generated input (reused when present).", valueName: "dir"))
    var dir: String = "/tmp/llr-bench"

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func run() throws {
        mkdir(dir, 0o755)
        mkdir("\(dir)/\(rows)", 0o755)
        let path = "\(dir)/\(rows)/UHL_health_2024-25_Q1.csv.gz"
        if access(path, F_OK) != 0 {
            print("generating \(rows) rows into \(path) …")
            try HealthReturnFixture.write(path: path, rows: rows)
        }
        let contract = try Pipelines.load(from: pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0]))
        let (csvBytes, gzBytes) = try ValidateBenchmark.inflateOnly(path)
        print("input: \(rows) rows, \(fmt(Double(csvBytes) / 1e6)) MB CSV, \(fmt(Double(gzBytes) / 1e6)) MB gzip")

        func measure(_ name: String, _ body: () throws -> Void) rethrows -> Double {
            try body()  // warm-up
            var times: [Double] = []
            for _ in 0..<max(1, runs) {
                let t0 = monotonicSeconds()
                try body()
                times.append(monotonicSeconds() - t0)
            }
            return times.sorted()[times.count / 2]
        }
        var options = ValidationOptions()
        options.period = FinancialQuarter("2024-25_Q1")
        options.asOf = CivilDate(year: 2024, month: 7, day: 15)
        var validReport: ValidationReport?

        let inflate = try measure("inflate") { _ = try ValidateBenchmark.inflateOnly(path) }
        let parse = try measure("parse") { _ = try ValidateBenchmark.inflateAndParse(path) }
        let rssFloor = ValidateBenchmark.peakRSS()
        let read = try measure("read") { _ = try ValidateBenchmark.readOnly(path) }
        let validate = measure("validate") { validReport = validateReturn(path: path, pipelines: contract, options: options) }
        let rss = ValidateBenchmark.peakRSS()
        var ahead = options
        ahead.readAhead = true
        let validate2 = measure("validate, read-ahead") { _ = validateReturn(path: path, pipelines: contract, options: ahead) }
        let normDir = "\(dir)/\(rows)/normalised"
        mkdir(normDir, 0o755)
        var normalised: NormaliseResult?
        let normalise = measure("normalise") { normalised = normaliseReturn(path: path, pipelines: contract, options: options, outDir: normDir) }
        let rssNormalise = ValidateBenchmark.peakRSS()

        let mb = Double(csvBytes) / 1e6
        print("")
        print(pad("stage", 34) + pad("seconds", 10) + pad("MB/s CSV", 10) + pad("Mrows/s", 9) + "x floor")
        for (name, t) in [("floor: zlib inflate", inflate), ("floor: inflate + libcsv parse", parse),
                          ("reader (lines, rows, UTF-8)", read), ("llr-validate (all checks)", validate),
                          ("llr-validate, inflate on 2nd core", validate2), ("llr-normalise (gzip on 2nd core)", normalise)] {
            print(pad(name, 34) + pad(fmt(t, 3), 10) + pad(fmt(mb / t), 10) + pad(fmt(Double(rows) / t / 1e6, 2), 9) + fmt(t / parse, 2))
        }
        print("")
        print("peak RSS: \(fmt(Double(rssFloor) / 1048576)) MiB after the floor runs, \(fmt(Double(rss) / 1048576)) MiB after validation, \(fmt(Double(rssNormalise) / 1048576)) MiB after normalising")
        print("normalise / validate: \(fmt(normalise / validate, 2))× the time; \(normalised?.events ?? 0) events written")
        if let r = validReport {
            print("validation: \(r.stats.rows) rows, \(r.stats.errors) errors, \(r.stats.warnings) warnings (the input is valid: expect 0 errors)")
            if r.stats.rows != rows || r.stats.errors != 0 { throw ExitCode(1) }
        }
    }

    func fmt(_ v: Double, _ places: Int = 1) -> String {
        var s = decimalText(v, places: places)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < places { s += String(repeating: "0", count: places - decimals) }
        }
        return s
    }

    func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
}
