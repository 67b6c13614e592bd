import LLRCore
import LLRDedupe
import LLRSynth
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A synthetic year of returns for the benchmark, made once per size and
/// kept (`llr-synth`'s generator in-process, four quarters, 1% planted
/// errors, resubmissions, seed 7): about 135,000 source rows per unit of scale.
public struct BenchDataset: Sendable {
    public var rows: Int
    public var directory: String
    public var returns: [String]
    public var csvBytes: Int64
    public var gzipBytes: Int64
    public var truth: String { directory + "/truth/records.csv" }

    public static let rowsPerScale = 135_187.5
    public static let quarters = "2024-25_Q1,2024-25_Q2,2024-25_Q3,2024-25_Q4"

    public static func prepare(rows: Int, cache: String, pipelines: Pipelines, synthSettings: SynthSettings) throws -> BenchDataset {
        let dir = cache + "/synth-\(rows)"
        let done = dir + "/COMPLETE"
        if !fileExists(done) {
            removeTree(dir)
            try makeDirectories(dir)
            var options = SynthOptions(out: dir, quarters: quarters.split(separator: ",").compactMap { FinancialQuarter(String($0)) })
            options.scale = Double(rows) / rowsPerScale
            options.seed = 7
            options.errorRate = 0.01
            options.resubmissions = true
            _ = try SyntheticReturns(pipelines: pipelines, settings: synthSettings, options: options).run()
            let marker = try AtomicOutputFile(path: done)
            try marker.write("llr-synth --out \(dir) --quarters \(quarters) --scale \(options.scale) --seed 7 --error-rate 0.01 --resubmissions\n")
            try marker.commit()
        }
        let files = (directoryEntries(dir + "/returns") ?? []).filter { $0.hasSuffix(".csv.gz") }.map { dir + "/returns/" + $0 }
        var csv: Int64 = 0, gz: Int64 = 0, n = 0
        for f in files {
            let parsed = try ValidateBenchmark.inflateAndParse(f)
            csv += parsed.csvBytes; gz += parsed.gzipBytes
            n += parsed.records - 1
        }
        return BenchDataset(rows: n, directory: dir, returns: files, csvBytes: csv, gzipBytes: gz)
    }
}

/// What one run of a stage's executable cost.
public struct ProcessCost: Sendable {
    public var seconds: Double
    public var peakRSSBytes: Int64
    /// The most threads the process had at once (sampled every 5 ms).
    public var threads: Int
    /// CPU seconds (user + system) over wall seconds.
    public var cpuSeconds: Double
    public var status: Int32

    public init(seconds: Double, peakRSSBytes: Int64, threads: Int, cpuSeconds: Double, status: Int32) {
        self.seconds = seconds; self.peakRSSBytes = peakRSSBytes; self.threads = threads; self.cpuSeconds = cpuSeconds; self.status = status
    }
}

/// Runs a stage's command-line shell as a child process and measures it:
/// wall time and CPU from wait4, threads and peak memory from /proc.
public func runMeasured(_ executable: String, _ arguments: [String], quiet: Bool = true) -> ProcessCost {
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if quiet {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    var pid: pid_t = 0
    let started = monotonicSeconds()
    guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else {
        return ProcessCost(seconds: 0, peakRSSBytes: 0, threads: 0, cpuSeconds: 0, status: 127)
    }
    var threads = 0, sampledPeakKiB = 0
    var status: Int32 = 0
    var usage = rusage()
    while true {
        let r = wait4(pid, &status, WNOHANG, &usage)
        if r == pid { break }
        if r < 0 && errno != EINTR { break }
        let now = procStatus(pid)
        threads = max(threads, now.threads)
        sampledPeakKiB = max(sampledPeakKiB, now.peakKiB)
        usleep(5000)
    }
    // wait4's peak memory is at least this process's own at the time of the
    // spawn (the child counts the pages it shared before exec), so a small
    // stage would report the bench's memory instead of its own. Above this
    // process's peak, it is the child's (and exact); otherwise the child's
    // high-water mark as last sampled.
    let ownPeakKiB = procStatus(getpid()).peakKiB
    let peakKiB = usage.ru_maxrss > ownPeakKiB || sampledPeakKiB == 0 ? usage.ru_maxrss : sampledPeakKiB
    let seconds = monotonicSeconds() - started
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return ProcessCost(seconds: seconds, peakRSSBytes: Int64(peakKiB) * 1024, threads: threads, cpuSeconds: cpu, status: exitStatus)
}

/// A process's threads and peak resident memory (VmHWM, KiB) from
/// /proc/PID/status; zeros once it has exited.
func procStatus(_ pid: pid_t) -> (threads: Int, peakKiB: Int) {
    guard let bytes = readSmallFile("/proc/\(pid)/status") else { return (0, 0) }
    let text = String(decoding: bytes, as: UTF8.self)
    var threads = 0, peak = 0
    func number(_ line: Substring, after prefix: Int) -> Int {
        Int(String(line.dropFirst(prefix).prefix { $0 != "k" }.filter { $0 != " " && $0 != "\t" })) ?? 0
    }
    for line in text.split(separator: "\n") {
        if line.hasPrefix("Threads:") { threads = number(line, after: 8) }
        if line.hasPrefix("VmHWM:") { peak = number(line, after: 6) }
    }
    return (threads, peak)
}

/// The row accounting of a merged dataset: every row received is in the
/// lineage once, and its statuses add up.
public struct Balance: Sendable {
    public var lineageRows = 0
    public var status: [String: Int] = [:]
    public var sumOfStatuses: Int { status.values.reduce(0, +) }
    public init() {}

    /// `kept 5, merged 2, …`
    public var statusText: String { status.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
}

public func lineageBalance(_ path: String) -> Balance {
    var b = Balance()
    var statusColumn = -1
    _ = CSVFileRows.read(path: path, header: { h in statusColumn = h.firstIndex(of: "status") ?? -1 }) { r in
        b.lineageRows += 1
        if statusColumn >= 0 && statusColumn < r.storedCount {
            b.status[String(decoding: r.cell(statusColumn), as: UTF8.self), default: 0] += 1
        }
    }
    return b
}
