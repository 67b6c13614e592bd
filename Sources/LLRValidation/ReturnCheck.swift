import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ValidationStats: Sendable, Equatable {
    public var rows = 0
    public var rowsRejected = 0
    public var errors = 0
    public var warnings = 0
    /// Bytes of CSV text read (after decompression).
    public var bytes: Int64 = 0
    public var seconds: Double = 0
}

public struct SummaryEntry: Sendable, Equatable {
    public var code: FindingCode
    public var severity: Severity
    public var count: Int
}

/// The report on one return (spec §6).
public struct ValidationReport: Sendable {
    public var file: String
    public var path: String
    public var partner: String?
    public var family: String?
    public var period: FinancialQuarter?
    public var version: Int
    public var valid: Bool
    public var truncated: Bool
    public var stats: ValidationStats
    public var summary: [SummaryEntry]
    public var findings: [Finding]
    /// The file name the return should have, when it breaks the convention and it can be worked out.
    public var conventionalName: String?
    public var rejectsPath: String?

    public func count(_ code: FindingCode) -> Int { summary.filter { $0.code == code }.reduce(0) { $0 + $1.count } }
}

/// Who sent a return and for which quarter: the options first, then the
/// file name; a name that breaks the convention is a finding that says
/// what to rename it.
private func identifyReturn(_ file: String, pipelines: Pipelines, options: ValidationOptions, collector: FindingCollector)
    -> (partner: Partner?, family: String?, quarter: FinancialQuarter?, version: Int, conventional: String?) {
    let catalog = pipelines.catalog
    var partner: Partner?
    var quarter = options.period
    var version = 1
    var family: String?
    var overrideProblem: String?
    if let p = options.partner {
        partner = pipelines.registry.resolve(p)
        if partner == nil { overrideProblem = "--partner '\(p)' is not in the registry (codes: \(pipelines.registry.partners.map(\.code).joined(separator: ", ")))" }
    }
    var conventional: String?
    switch ReturnFileName.parse(file, registry: pipelines.registry) {
    case .success(let name):
        if partner == nil { partner = pipelines.registry.partner(code: name.partner) }
        if quarter == nil { quarter = name.quarter }
        version = name.version
        // The name says which of the partner's families it is (its own, or a shared one such as commentary).
        if partner?.code == name.partner { family = name.family }
    case .failure(let problem):
        let what = problem.message(registry: pipelines.registry)
        if let partner, let quarter {
            conventional = ReturnFileName(partner: partner.code, family: partner.family, quarter: quarter).conventional
        }
        let overridden = partner != nil && quarter != nil
        var message = "file name '\(file)' breaks the convention: \(what)"
        if let conventional { message += "; rename it \(conventional) before sending" }
        if quarter == nil { message += "; the quarter is unknown, so dates were not checked against it (give --period 2024-25_Q1)" }
        if partner == nil { message += "; the partner is unknown (give --partner CODE)" }
        collector.add(.filenameError, overridden ? .warning : catalog.severity(.filenameError)) {
            Finding(code: .filenameError, severity: overridden ? .warning : catalog.severity(.filenameError), message: message)
        }
    }
    if let overrideProblem {
        collector.add(.filenameError, .error) { Finding(code: .filenameError, severity: .error, message: overrideProblem) }
    }

    return (partner, family ?? partner?.family, quarter, version, conventional)
}

/// Validates one return file end to end: its name, its bytes, its CSV, its
/// rows. Never throws: every problem with the file is a finding.
///
/// `acceptedRows`, when given, sees every row that passed, in order, while
/// its cells can be read (the normaliser writes its outputs from there);
/// `duplicateRows` sees each exact copy with the row it copies.
public func validateReturn(path: String, pipelines: Pipelines, options: ValidationOptions,
                           duplicateRows: ((_ row: Int, _ first: Int) -> Void)? = nil,
                           acceptedRows: ((AcceptedRow) -> Void)? = nil) -> ValidationReport {
    let started = monotonicSeconds()
    let collector = FindingCollector(max: options.maxFindings)
    let file = baseName(path)
    let catalog = pipelines.catalog

    let (partner, family, quarter, version, conventional) = identifyReturn(file, pipelines: pipelines, options: options, collector: collector)

    var stats = ValidationStats()
    // Named in the report only once written: a report saying "rejected rows
    // written to" a file that could not be made sends the partner looking for it.
    var rejectsWritten: String?
    let schema = family.flatMap { pipelines.families[$0] }
    var familyName = schema?.name
    func fileProblem(_ p: SourceProblem, after lines: Int? = nil) {
        let sev = catalog.severity(p.kind.code)
        collector.add(p.kind.code, sev) {
            var f = Finding(code: p.kind.code, severity: sev, message: p.message)
            if let lines, lines > 0 { f.line = lines + 1; f.message += " (at line \(lines + 1))" }
            return f
        }
    }

    do {
        let stream = try ReturnByteStream(path: path, maxDecompressedBytes: options.limits.maxDecompressedBytes)
        let asOf = options.asOf ?? CivilDate(dayNumber: stream.modificationDay)
        let reader = CSVRecordReader(limits: options.limits)
        // Returns run ~110 bytes a row, and gzip shrinks them about 3.5 times.
        let estimate = stream.encoding == .gzip ? stream.fileBytes / 32 : stream.fileBytes / 110
        let validator = ReturnValidator(
            pipelines: pipelines, schema: schema, quarter: quarter, partner: partner?.code, asOf: asOf, collector: collector,
            reader: reader, rejectsPath: options.rejectsPath, expectedRows: Int(min(max(estimate, 4096), 1 << 25)))
        validator.onAcceptedRow = acceptedRows
        validator.onDuplicateRow = duplicateRows
        let problem: SourceProblem?
        if options.readAhead {
            let ahead = ReadAheadSource(stream)
            problem = reader.read(ahead, into: validator)
            ahead.stop()
        } else {
            problem = reader.read(stream, into: validator)
        }
        if let problem { fileProblem(problem, after: reader.linesRead) }
        if stream.trailingGarbageBytes > 0 {
            collector.add(.compressionError, .warning) {
                Finding(code: .compressionError, severity: .warning,
                        message: "\(stream.trailingGarbageBytes) bytes after the end of the gzip data were ignored")
            }
        }
        if problem == nil || problem?.kind == .compression {
            if reader.rowsEmitted - validator.blankRows == 0 {
                fileProblem(SourceProblem(.source, "the file has no header and no rows (only blank lines)"))
            } else if validator.rows == 0 {
                fileProblem(SourceProblem(.source, "the file has a header but no data rows: a quarter with nothing to report still needs its rows; check the export"))
            }
        }
        validator.commitRejects()
        if let out = validator.outputProblem {
            collector.add(.sourceError, .error) { Finding(code: .sourceError, severity: .error, message: "the rejects file could not be written: \(out)") }
        } else {
            rejectsWritten = options.rejectsPath
        }
        familyName = validator.schema?.name ?? familyName
        stats.rows = validator.rows
        stats.rowsRejected = validator.rowsRejected
        stats.bytes = stream.decompressedBytes
    } catch {
        fileProblem(error)
    }

    stats.errors = collector.errors
    stats.warnings = collector.warnings
    stats.seconds = monotonicSeconds() - started
    // File-level findings first, then rows in file order.
    let findings = collector.findings.filter { $0.rowNumber == nil } + collector.findings.filter { $0.rowNumber != nil }
    return ValidationReport(
        file: file, path: path, partner: partner?.code, family: familyName, period: quarter, version: version,
        valid: collector.errors == 0, truncated: collector.truncated, stats: stats,
        summary: collector.summary(order: catalog.order), findings: findings, conventionalName: conventional,
        rejectsPath: rejectsWritten)
}

extension ValidationReport {
    /// A report of warnings found on a return's rows after it was read (the
    /// merge's linkage finds ids keyed for the wrong child), in the shape
    /// of the validator's, so the partner reads it the same way.
    public static func laterFindings(file: String, name: ReturnFileName?, partner: String, findings: [Finding]) -> ValidationReport {
        var counts: [FindingCode: (severity: Severity, count: Int)] = [:]
        for f in findings { counts[f.code, default: (f.severity, 0)].count += 1 }
        var stats = ValidationStats()
        stats.warnings = findings.filter { $0.severity == .warning }.count
        stats.errors = findings.count - stats.warnings
        return ValidationReport(
            file: file, path: file, partner: partner, family: name?.family, period: name?.quarter, version: name?.version ?? 1,
            valid: stats.errors == 0, truncated: false, stats: stats,
            summary: counts.keys.sorted().map { SummaryEntry(code: $0, severity: counts[$0]!.severity, count: counts[$0]!.count) },
            findings: findings.sorted { ($0.rowNumber ?? 0) < ($1.rowNumber ?? 0) }, conventionalName: nil, rejectsPath: nil)
    }
}
