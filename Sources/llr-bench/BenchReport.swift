import LLRBench
import LLRCore

/// One stage at one --jobs.
struct StageRow {
    var name: String
    var jobs: Int
    var cost: ProcessCost
}

/// Everything measured at one size.
struct SizeResult {
    var rows: Int
    var returns: Int
    var csvBytes: Int64
    var gzipBytes: Int64
    var floorSeconds = 0.0
    var rowsRead = 0
    var stages: [StageRow] = []
    var balance = Balance()
    var balanced = false
    var personPrecision = 0.0, personRecall = 0.0, eventPrecision = 0.0, eventRecall = 0.0
    var correct = false
    /// Before each round of the merge's timed turns, the floor's one-core
    /// time over its time on `floorSpeedupJobs` cores (FloorOnCores).
    var floorSpeedup: [Double] = []
    var floorSpeedupJobs = 1
    /// The merge's seconds at each --jobs, round by round (the floor's
    /// speed-up of a round was measured just before it).
    var mergeRounds: [Int: [Double]] = [:]

    /// Round by round: the floor's speed-up, then the merge's at one core
    /// and at the most --jobs, and its own ratio.
    var roundsText: String? {
        guard let one = mergeRounds[1], let many = mergeRounds[floorSpeedupJobs], floorSpeedupJobs > 1,
              one.count == many.count, one.count == floorSpeedup.count else { return nil }
        return one.indices.map { k in
            "floor \(fmt(floorSpeedup[k], 2))x, merge \(fmt(one[k], 2)) / \(fmt(many[k], 2)) s = \(fmt(one[k] / many[k], 2))x"
        }.joined(separator: "; ")
    }

    /// What the cores gave the floor during the merge's turns, beside the
    /// merge's own --jobs ratio; nil when not measured.
    var floorSpeedupText: String? {
        guard !floorSpeedup.isEmpty else { return nil }
        let sorted = floorSpeedup.sorted()
        let merges = stages.filter { $0.name == "llr-merge" }
        var text = "in the merge's turns the floor ran \(fmt(median(floorSpeedup), 2))x as fast on \(floorSpeedupJobs) cores as on one (median of \(sorted.count); \(fmt(sorted[0], 2))–\(fmt(sorted[sorted.count - 1], 2)))"
        if let one = merges.first(where: { $0.jobs == 1 }), let many = merges.first(where: { $0.jobs == floorSpeedupJobs }) {
            text += "; the merge \(fmt(one.cost.seconds / many.cost.seconds, 2))x"
        }
        return text
    }
}

/// The machine the numbers come from.
enum Machine {
    static func describe() -> String {
        var cpu = "unknown CPU"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        var memory = ""
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal") }) {
            let kb = Int(line.filter(\.isNumber)) ?? 0
            memory = ", \(kb / 1_048_576) GiB"
        }
        return "\(coreCount) cores (\(cpu))\(memory)"
    }
}

import Foundation
import LLRCommandLine

struct BenchReport {
    var machine: String
    var command: String
    var sizes: [SizeResult] = []
    let date = CivilDate.today.description

    func json() -> String {
        var w = JSONWriter()
        w.out += "{\n  "; w.key("date"); w.string(date); w.out += ",\n  "
        w.key("machine"); w.string(machine); w.out += ",\n  "
        w.key("command"); w.string(command); w.out += ",\n  "
        w.key("sizes"); w.out += "["
        for (i, r) in sizes.enumerated() {
            w.out += i == 0 ? "\n    {" : ",\n    {"
            w.key("rows"); w.out += "\(r.rowsRead > 0 ? r.rowsRead : r.rows), "
            w.key("returns"); w.out += "\(r.returns), "
            w.key("csvBytes"); w.out += "\(r.csvBytes), "
            w.key("gzipBytes"); w.out += "\(r.gzipBytes), "
            w.key("stages"); w.out += "["
            for (k, s) in r.stages.enumerated() {
                w.out += k == 0 ? "\n      {" : ",\n      {"
                w.key("stage"); w.string(s.name); w.out += ", "
                w.key("jobs"); w.out += "\(s.jobs), "
                w.key("seconds"); w.out += fmt(s.cost.seconds, 3) + ", "
                w.key("rowsPerSecond"); w.out += "\(Int(Double(r.rowsRead > 0 ? r.rowsRead : r.rows) / s.cost.seconds)), "
                w.key("gzipMBps"); w.out += fmt(Double(r.gzipBytes) / 1e6 / s.cost.seconds) + ", "
                w.key("csvMBps"); w.out += fmt(Double(r.csvBytes) / 1e6 / s.cost.seconds) + ", "
                w.key("peakRSSBytes"); w.out += "\(s.cost.peakRSSBytes), "
                w.key("threads"); w.out += "\(s.cost.threads), "
                w.key("cpuSeconds"); w.out += fmt(s.cost.cpuSeconds, 2) + ", "
                w.key("floorRatio"); w.out += fmt(r.floorSeconds / s.cost.seconds, 3) + "}"
            }
            w.out += "\n    ], "
            w.key("checks"); w.out += "{"
            w.key("rowsRead"); w.out += "\(r.rowsRead), "
            w.key("lineageRows"); w.out += "\(r.balance.lineageRows), "
            w.key("balanced"); w.out += "\(r.balanced), "
            w.key("personPrecision"); w.out += fmt(r.personPrecision, 5) + ", "
            w.key("personRecall"); w.out += fmt(r.personRecall, 5) + ", "
            w.key("eventPrecision"); w.out += fmt(r.eventPrecision, 4) + ", "
            w.key("eventRecall"); w.out += fmt(r.eventRecall, 4) + ", "
            w.key("correct"); w.out += "\(r.correct)}, "
            w.key("floorSpeedup"); w.out += "{"
            w.key("jobs"); w.out += "\(r.floorSpeedupJobs), "
            w.key("rounds"); w.out += "[" + r.floorSpeedup.map { fmt($0, 3) }.joined(separator: ", ") + "], "
            w.key("mergeSecondsByJobs"); w.out += "{"
            w.out += r.mergeRounds.keys.sorted().map { j in
                "\"\(j)\": [" + r.mergeRounds[j]!.map { fmt($0, 3) }.joined(separator: ", ") + "]"
            }.joined(separator: ", ") + "}}}"
        }
        w.out += "\n  ]\n}\n"
        return w.out
    }

    func markdown() -> String {
        var m = "# Benchmarks\n\nLatest results of `make bench` (release build), \(date), on \(machine).\n\n"
        m += "Reproduce: `\(command)` (what `make bench` runs). The inputs are synthetic years from the generator "
        m += "(`llr-synth --quarters \(BenchDataset.quarters) --seed 7 --error-rate 0.01 --resubmissions`, scaled to the size), "
        m += "cached by size. Each stage is its own executable run as a child process, timed after a warm-up; the median is shown. The floor and the one-core `llr-validate` are timed in turns, round by round, so that the VM's drifting speed weighs on both alike; so are the `--jobs` of `llr-normalise` and of `llr-merge`. Each round takes them in the order opposite to the round before (A B, B A, …). "
        m += "`floor ÷ stage` is the inflate + libcsv floor's time over the stage's (1.0 = as fast as the floor on one core).\n"
        for r in sizes {
            let rows = r.rowsRead > 0 ? r.rowsRead : r.rows
            m += "\n## \(rows) rows (\(r.returns) returns, \(fmt(Double(r.csvBytes) / 1e6)) MB CSV, \(fmt(Double(r.gzipBytes) / 1e6)) MB gzip)\n\n"
            m += "| stage | jobs | seconds | rows/s | MB/s gzip | MB/s CSV | peak RSS | threads | CPU s | floor ÷ stage |\n|---|---|---|---|---|---|---|---|---|---|\n"
            for s in r.stages {
                let c = s.cost
                let rss = c.peakRSSBytes > 0 ? "\(c.peakRSSBytes / 1_048_576) MiB" : ""
                var row = "| \(s.name) | \(s.jobs) | \(fmt(c.seconds, 2)) | \(compact(Double(rows) / c.seconds)) | "
                row += "\(fmt(Double(r.gzipBytes) / 1e6 / c.seconds)) | \(fmt(Double(r.csvBytes) / 1e6 / c.seconds)) | "
                row += "\(rss) | \(c.threads) | \(fmt(c.cpuSeconds, 1)) | \(fmt(r.floorSeconds / c.seconds, 2)) |\n"
                m += row
            }
            let balanced = r.balanced ? "balanced" : "**not balanced**"
            let verdict = r.correct ? "pass" : "**fail**"
            m += "\nChecks: lineage \(r.balance.lineageRows) rows for \(r.rowsRead) read (\(r.balance.statusText)): \(balanced); "
            m += "persons P \(fmt(r.personPrecision, 5)) R \(fmt(r.personRecall, 5)), events P \(fmt(r.eventPrecision, 4)) R \(fmt(r.eventRecall, 4)): \(verdict).\n"
            if let line = r.floorSpeedupText {
                m += "\nThe machine's cores: \(line). The floor (inflate + libcsv over the same returns, a return per core at a time) is timed on one core and on \(r.floorSpeedupJobs) before each round of the merge's turns: on a shared VM what the cores give together changes from minute to minute, and no stage can be expected to gain more from them than this plainest parallel job does in the same minute.\n"
                if let rounds = r.roundsText { m += "\nRound by round (merge at --jobs 1 / \(r.floorSpeedupJobs)): \(rounds).\n" }
            }
        }
        return m
    }
}
