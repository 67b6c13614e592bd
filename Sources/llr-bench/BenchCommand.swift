// llr-bench: every stage measured against the hardware floor.
//
// Usage:
//   llr-bench [--rows N[,N…]] [--jobs J[,J…]] [--runs R] [--dir DIR] [--out FILE.json] [--markdown FILE.md]
//
// For each size, prepares (once, cached in DIR by size) a synthetic year of
// returns from the generator, then measures in the same run: the floor
// (zlib inflate alone; inflate + libcsv parse with empty callbacks, one
// core, over the same files), then each stage's own executable as a child
// process: llr-validate (one core, then --jobs J), llr-normalise,
// llr-dedupe and the full llr-merge at each --jobs. Each is timed R times
// after a warm-up (the floor and the first llr-validate in turns, round by
// round, so a shared machine's drift weighs on both alike; so are the
// --jobs of llr-normalise and of llr-merge, each round in the order
// opposite to the one before) and the median
// reported with rows/s, MB/s of gzip and of
// CSV, peak RSS, threads, CPU use and the ratio to the floor. The merged
// output is then checked: every received row in the lineage once, statuses
// adding up, person linkage precision/recall against the truth; a fast wrong
// answer fails the run (exit 1). Before each round of the merge's turns it
// times the floor on one core and on the most --jobs: what the machine's
// cores give together in that minute (on a VM, at times far from 2x), which
// the merge's --jobs ratio is read against. Always a release build: `make bench`.

import ArgumentParser
import Foundation
import LLRBench
import LLRCommandLine
import LLRCore
import LLRValidation
import LLRDedupe
import LLRSynth

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-bench",
        abstract: "Measure every stage against the zlib + libcsv floor, and check the answers (use a release build).")

    @Option(help: ArgumentHelp("Source rows, or a comma-separated list of sizes (e.g. 100000,1000000).", valueName: "n"))
    var rows: String = "1000000"

    @Option(help: ArgumentHelp("--jobs values for the multi-core stages, comma-separated.", valueName: "j"))
    var jobs: String = "1,2"

    @Option(help: "Timed runs per stage after one warm-up; the median is reported.")
    var runs: Int = 3

    @Option(help: ArgumentHelp("Folder for the generated data and the stages' outputs (reused when present).", valueName: "dir"))
    var dir: String = "/tmp/llr-bench"

    @Option(help: ArgumentHelp("Write the results as JSON here.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Write the results as a markdown page here (BENCHMARKS.md).", valueName: "file"))
    var markdown: String?

    @Option(help: ArgumentHelp("A PostgreSQL warehouse to time the nightly load into (postgres://USER@HOST/DB); none: not timed.", valueName: "url"))
    var warehouse: String?

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func validate() throws {
        if sizes.isEmpty || sizes.contains(where: { $0 < 100 }) { throw ValidationError("--rows takes sizes of at least 100, e.g. --rows 100000,1000000") }
        if jobList.isEmpty || jobList.contains(where: { $0 < 1 }) { throw ValidationError("--jobs takes values of at least 1, e.g. --jobs 1,2") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    var sizes: [Int] { rows.split(separator: ",").compactMap { Int($0) } }
    var jobList: [Int] { jobs.split(separator: ",").compactMap { Int($0) } }

    func run() throws {
        let pipelinesDir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines, synth: SynthSettings
        do { contract = try Pipelines.load(from: pipelinesDir); synth = try SynthSettings.load(pipelines: pipelinesDir) } catch {
            throw CommandFailure("cannot read the data contract in \(pipelinesDir): \(error)")
        }
        let bin = parentDirectory(CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : "./" + CommandLine.arguments[0])
        for tool in ["llr-validate", "llr-normalise", "llr-dedupe", "llr-merge"] where !fileExists(bin + "/" + tool) {
            throw CommandFailure("\(bin)/\(tool) is missing: build every executable first (make build)")
        }
        try makeDirectories(dir)
        var report = BenchReport(machine: Machine.describe(), command: CommandLine.arguments.joined(separator: " "))
        var wrong = false
        for size in sizes {
            print("preparing about \(size) rows in \(dir)/synth-\(size) (cached) …")
            let data = try BenchDataset.prepare(rows: size, cache: dir, pipelines: contract, synthSettings: synth)
            print("input: \(data.returns.count) returns, \(data.rows) rows, \(fmt(Double(data.csvBytes) / 1e6)) MB CSV, \(fmt(Double(data.gzipBytes) / 1e6)) MB gzip")
            let result = try measure(data, pipelinesDir: pipelinesDir, bin: bin)
            printTable(result)
            if !result.correct { wrong = true }
            report.sizes.append(result)
        }
        if let out { try writeText(report.json(), to: out); print("wrote \(out)") }
        if let markdown { try writeText(report.markdown(), to: markdown); print("wrote \(markdown)") }
        if wrong {
            writeStandardError("llr-bench: a stage gave a wrong answer (see the checks above)\n")
            throw ExitCode(1)
        }
    }

    /// The run with the median time (the later of the middle two for an even count).
    func medianRun(_ costs: [ProcessCost]) -> ProcessCost {
        costs.sorted { $0.seconds < $1.seconds }[costs.count / 2]
    }

    /// 0..<count forwards in even rounds, backwards in odd ones.
    func turnOrder(_ count: Int, round: Int) -> [Int] {
        round % 2 == 0 ? Array(0..<count) : Array((0..<count).reversed())
    }

    func measureProcess(_ exe: String, _ args: [String], before: () -> Void = {}) throws -> ProcessCost {
        medianRun(try measureInTurns(exe, [args], before: { _ in before() })[0])
    }

    /// Each of `variants` (the arguments of one command) timed in turns,
    /// round after round, so that a shared machine's drifting speed weighs
    /// on all alike, as the floor and validation are: the ratio of --jobs 1
    /// to --jobs 2 should not depend on which ran in a slow minute. Each
    /// round takes them in the order opposite to the round before (A B,
    /// B A, …), so neither is always the one that runs after the other.
    /// Returns each variant's timed runs, in round order.
    func measureInTurns(_ exe: String, _ variants: [[String]], before: (Int) -> Void = { _ in }, eachTimedRound: () -> Void = {}) throws -> [[ProcessCost]] {
        var costs = [[ProcessCost]](repeating: [], count: variants.count)
        for k in 0...runs {
            if k > 0 { eachTimedRound() }
            for v in turnOrder(variants.count, round: k) {
                let args = variants[v]
                before(v)
                let c = runMeasured(exe, args)
                if c.status > 1 { throw CommandFailure("\(baseName(exe)) \(args.prefix(6).joined(separator: " ")) … failed with status \(c.status)") }
                if k > 0 { costs[v].append(c) }
            }
        }
        return costs
    }

    func measure(_ data: BenchDataset, pipelinesDir: String, bin: String) throws -> SizeResult {
        var r = SizeResult(rows: data.rows, returns: data.returns.count, csvBytes: data.csvBytes, gzipBytes: data.gzipBytes)
        let work = dir + "/work-\(data.rows)"
        try makeDirectories(work)
        let common = ["--pipelines", pipelinesDir, "--as-of", "2025-05-15"]
        let report = work + "/validate.json"
        func validateArgs(_ j: Int) -> [String] { ["--jobs", "\(j)", "--format", "json", "--output", report, "--max-findings", "0"] + common + data.returns }
        // The floor and the first validation are timed in turns, round after
        // round, so that a shared machine's drifting speed weighs on both
        // alike (measured one after the other, their ratio moved by half).
        var inflates: [Double] = [], parses: [Double] = [], validations: [ProcessCost] = []
        for k in 0...runs {
            var inflate = 0.0, parse = 0.0
            var c = ProcessCost(seconds: 0, peakRSSBytes: 0, threads: 0, cpuSeconds: 0, status: 0)
            for step in turnOrder(3, round: k) {
                let t0 = monotonicSeconds()
                switch step {
                case 0:
                    for f in data.returns { _ = try ValidateBenchmark.inflateOnly(f) }
                    inflate = monotonicSeconds() - t0
                case 1:
                    for f in data.returns { _ = try ValidateBenchmark.inflateAndParse(f) }
                    parse = monotonicSeconds() - t0
                default:
                    c = runMeasured(bin + "/llr-validate", validateArgs(jobList[0]))
                }
            }
            if c.status > 1 { throw CommandFailure("llr-validate failed with status \(c.status)") }
            if k > 0 { inflates.append(inflate); parses.append(parse); validations.append(c) }
        }
        let inflate = median(inflates), parse = median(parses)
        r.floorSeconds = parse
        r.stages.append(StageRow(name: "floor: zlib inflate", jobs: 1, cost: ProcessCost(seconds: inflate, peakRSSBytes: 0, threads: 1, cpuSeconds: inflate, status: 0)))
        r.stages.append(StageRow(name: "floor: inflate + libcsv parse", jobs: 1, cost: ProcessCost(seconds: parse, peakRSSBytes: 0, threads: 1, cpuSeconds: parse, status: 0)))
        r.stages.append(StageRow(name: "llr-validate", jobs: jobList[0], cost: medianRun(validations)))
        r.rowsRead = (try? validatedRows(report)) ?? 0
        for j in jobList.dropFirst() {
            let c = try measureProcess(bin + "/llr-validate", validateArgs(j))
            r.stages.append(StageRow(name: "llr-validate", jobs: j, cost: c))
        }
        let normalised = work + "/normalised"
        let normalisations = try measureInTurns(bin + "/llr-normalise", jobList.map { ["--out", normalised, "--jobs", "\($0)"] + common + data.returns }) { _ in
            removeTree(normalised)
        }
        for (j, c) in zip(jobList, normalisations.map(medianRun)) { r.stages.append(StageRow(name: "llr-normalise", jobs: j, cost: c)) }
        let deduped = work + "/dedupe"
        let jMax = jobList.max()!
        let dc = try measureProcess(bin + "/llr-dedupe", ["--out", deduped, "--demo-key", "--jobs", "\(jMax)", "--pipelines", pipelinesDir, normalised]) { removeTree(deduped) }
        r.stages.append(StageRow(name: "llr-dedupe", jobs: jMax, cost: dc))
        // What the cores gave together, measured before each round of the
        // merge's turns: the plainest parallel job's --jobs ratio.
        var floorSpeedups: [Double] = []
        let merges = try measureInTurns(bin + "/llr-merge", jobList.map {
            ["--inbox", data.directory + "/returns", "--out", work + "/merge-\($0)", "--demo-key", "--jobs", "\($0)"] + common
        }, before: { v in removeTree(work + "/merge-\(jobList[v])") }, eachTimedRound: {
            if jMax > 1 { floorSpeedups.append(FloorOnCores.speedup(data.returns, jobs: jMax)) }
        })
        r.floorSpeedup = floorSpeedups
        r.floorSpeedupJobs = jMax
        for (j, runs) in zip(jobList, merges) { r.mergeRounds[j] = runs.map(\.seconds) }
        for (j, c) in zip(jobList, merges.map(medianRun)) { r.stages.append(StageRow(name: "llr-merge", jobs: j, cost: c)) }
        // The board's measures alone, on the merge's dataset (the merge computes
        // them too, beside its other outputs).
        let mc = try measureProcess(bin + "/llr-measures", ["compute", "--dataset", work + "/merge-\(jMax)", "--jobs", "\(jMax)", "--pipelines", pipelinesDir])
        r.stages.append(StageRow(name: "llr-measures", jobs: jMax, cost: mc))
        // The warehouse load of the merge's dataset, when a server is given.
        if let warehouse {
            let setUp = try measureProcess(bin + "/llr-merge", ["warehouse-init", "--warehouse", warehouse, "--pipelines", pipelinesDir])
            guard setUp.status == 0 else { throw CommandFailure("llr-merge warehouse-init failed on \(warehouse)") }
            let wc = try measureProcess(bin + "/llr-merge", ["warehouse-load", "--dataset", work + "/merge-\(jMax)", "--warehouse", warehouse, "--again",
                                                             "--pipelines", pipelinesDir])
            r.stages.append(StageRow(name: "warehouse load", jobs: 3, cost: wc))
        }

        // Correctness beside speed: the last merge's lineage and linkage.
        let lineage = work + "/merge-\(jMax)/lineage.csv.gz"
        let balance = lineageBalance(lineage)
        r.balance = balance
        r.balanced = balance.lineageRows == r.rowsRead && balance.sumOfStatuses == r.rowsRead && r.rowsRead > 0
        if let score = try? scoreLineage(truthPath: data.truth, lineagePath: lineage) {
            r.personPrecision = score.persons.precision
            r.personRecall = score.persons.recall
            r.eventPrecision = score.events.precision
            r.eventRecall = score.events.recall
        }
        r.correct = r.balanced && r.personPrecision >= 0.999 && r.personRecall >= 0.98
        return r
    }

    func validatedRows(_ path: String) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        let reports = json as? [[String: Any]] ?? [json as? [String: Any] ?? [:]]
        return reports.reduce(0) { $0 + (($1["stats"] as? [String: Any])?["rows"] as? Int ?? 0) }
    }

    func printTable(_ r: SizeResult) {
        print("")
        print(pad("stage", 32) + pad("jobs", 6) + pad("seconds", 9) + pad("rows/s", 11) + pad("MB/s gz", 9) + pad("MB/s csv", 10) + pad("peak RSS", 10) + pad("threads", 9) + pad("CPU", 6) + "floor ÷ stage")
        let rowsDone = Double(r.rowsRead > 0 ? r.rowsRead : r.rows)
        for s in r.stages {
            let c = s.cost
            var line = pad(s.name, 32) + pad("\(s.jobs)", 6) + pad(fmt(c.seconds, 2), 9)
            line += pad(compact(rowsDone / c.seconds), 11)
            line += pad(fmt(Double(r.gzipBytes) / 1e6 / c.seconds), 9) + pad(fmt(Double(r.csvBytes) / 1e6 / c.seconds), 10)
            line += pad(c.peakRSSBytes > 0 ? "\(c.peakRSSBytes / 1_048_576) MiB" : "", 10) + pad("\(c.threads)", 9)
            line += pad(fmt(c.cpuSeconds / max(c.seconds, 1e-9), 1), 6) + fmt(r.floorSeconds / c.seconds, 2)
            print(line)
        }
        print("")
        let verdict = r.balanced ? "balanced" : "NOT BALANCED"
        print("checks: \(r.rowsRead) rows read by llr-validate; lineage \(r.balance.lineageRows) rows, statuses \(r.balance.statusText) (sum \(r.balance.sumOfStatuses)): \(verdict)")
        if let line = r.floorSpeedupText { print(line) }
        if let rounds = r.roundsText { print("round by round: \(rounds)") }
        print("linkage against the truth: persons P \(fmt(r.personPrecision, 5)) R \(fmt(r.personRecall, 5)); events P \(fmt(r.eventPrecision, 4)) R \(fmt(r.eventRecall, 4)): \(r.correct ? "ok" : "WRONG")")
    }

    func writeText(_ text: String, to path: String) throws {
        let f = try AtomicOutputFile(path: path)
        try f.write(text)
        try f.commit()
    }
}

func fmt(_ v: Double, _ places: Int = 1) -> String {
    var s = decimalText(v, places: places)
    if !s.contains(".") && places > 0 { s += "." }
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < places { s += String(repeating: "0", count: places - decimals) }
    }
    return s
}

/// The middle value (the later of the middle two for an even count), as `medianRun` takes runs.
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func compact(_ v: Double) -> String { v >= 1e6 ? fmt(v / 1e6, 2) + "M" : v >= 1e3 ? fmt(v / 1e3, 1) + "K" : fmt(v, 0) }

func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
