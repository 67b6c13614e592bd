import Crypto
import Foundation
import LLRCore
import LLRValidation
#if canImport(Glibc)
import Glibc
#endif

/// What the portal says about one upload: the contract's §6 report, whether
/// the file is in the inbox for tonight's merge, and its receipt.
public struct UploadResult: Sendable {
    public var status: Int
    public var accepted: Bool
    public var message: String
    public var receipt: Receipt?
    public var report: ValidationReport?

    /// The JSON report with `accepted`, `message` and `receipt` added at the top.
    public var json: String {
        var w = "{\n  \"accepted\": \(accepted),\n  \"message\": \(jsonString(message)),\n"
        if let r = receipt {
            w += "  \"receipt\": {\"storedName\": \(jsonString(r.storedName)), \"sha256\": \"\(r.sha256)\", \"bytes\": \(r.bytes), \"time\": \"\(r.time)\"},\n"
        }
        if let report { w += "  \"report\": " + JSONReport.render([report], asArray: false).trimmingCharacters(in: .whitespacesAndNewlines) + "\n" } else { w += "  \"report\": null\n" }
        return w + "}\n"
    }
}

/// The door of the inbox: takes an upload in, checks it, and puts it where
/// tonight's merge will find it, with its report kept for the partner in
/// `INBOX/.portal/reports/PARTNER/` (hidden: the merge does not read it).
public final class ReturnDesk: Sendable {
    public let inbox: String
    let pipelines: Pipelines
    public let maxBytes: Int64
    private let placing = MutexLock()

    public init(inbox: String, pipelines: Pipelines, maxBytes: Int64) {
        self.inbox = inbox; self.pipelines = pipelines; self.maxBytes = maxBytes
    }

    var incoming: String { inbox + "/.portal/incoming" }
    public func reportPath(partner: String, name: String, html: Bool) -> String {
        inbox + "/.portal/reports/\(partner)/\(name).report.\(html ? "html" : "json")"
    }

    /// Checks the name and opens the file the body streams into.
    public func open(name: String, account: Account) throws(UploadRefusal) -> (IncomingReturn, ReturnFileName) {
        let parsed: ReturnFileName
        switch checkUploadName(name, account: account, registry: pipelines.registry) {
        case .success(let n): parsed = n
        case .failure(let refusal): throw refusal
        }
        return (try IncomingReturn(name: name, incoming: incoming, maxBytes: maxBytes), parsed)
    }

    /// The whole body has come: check it and place it.
    public func finish(_ upload: IncomingReturn, name parsed: ReturnFileName) -> UploadResult {
        let sha: String
        do { sha = try upload.close() } catch { return UploadResult(status: error.status, accepted: false, message: error.message) }
        let receipt = Receipt(storedName: upload.name, sha256: sha, bytes: upload.bytes, time: isoTimestamp())
        if let earlier = sameNameAlready(upload, sha: sha, parsed: parsed) { upload.discard(); return earlier }
        var options = ValidationOptions()
        options.asOf = CivilDate.today
        let report = validateReturn(path: upload.path, pipelines: pipelines, options: options)
        if let fatal = report.findings.first(where: { $0.rowNumber == nil && $0.severity == .error && $0.code != .filenameError }) {
            upload.discard()
            return UploadResult(status: 422, accepted: false, message: "the file cannot be read as a return (\(fatal.code): \(fatal.message)); nothing was stored", report: report)
        }
        let placed: UploadResult? = placing.withLock {
            if fileExists(inbox + "/" + upload.name) { return sameNameAlready(upload, sha: sha, parsed: parsed) }
            guard rename(upload.path, inbox + "/" + upload.name) == 0 else {
                return UploadResult(status: 507, accepted: false, message: "the inbox could not take the file: \(String(cString: strerror(errno)))")
            }
            syncDirectory(inbox)
            return nil
        }
        if let placed { upload.discard(); return placed }
        upload.discard()  // the folder it came through
        keepReport(report, partner: parsed.partner, name: upload.name)
        let rows = report.stats.rowsRejected > 0 ? "; \(report.stats.rowsRejected) of its \(report.stats.rows) rows will be rejected tonight, as the report says" : ""
        return UploadResult(status: 201, accepted: true, message: "received; in the inbox for tonight's merge\(rows)", receipt: receipt, report: report)
    }

    /// The same name came before: the same bytes are already here (200);
    /// other bytes are refused (409), naming the version to send instead.
    private func sameNameAlready(_ upload: IncomingReturn, sha: String, parsed: ReturnFileName) -> UploadResult? {
        let stored = inbox + "/" + upload.name
        guard fileExists(stored) else { return nil }
        if fileSHA256(stored) == sha {
            return UploadResult(status: 200, accepted: true, message: "already received: the inbox holds these very bytes under this name",
                                receipt: Receipt(storedName: upload.name, sha256: sha, bytes: upload.bytes, time: isoTimestamp()))
        }
        var next = parsed
        next.version = nextVersion(of: parsed)
        let name = upload.name.hasSuffix(".gz") ? next.conventional : returnStem(next.conventional) + ".csv"
        return UploadResult(status: 409, accepted: false, message: "a different file named \(upload.name) was received before: send this one as \(name)")
    }

    /// One above the highest version of the return in the inbox.
    func nextVersion(of r: ReturnFileName) -> Int {
        let versions = (directoryEntries(inbox) ?? []).compactMap { n -> Int? in
            guard case .success(let p) = ReturnFileName.parse(n, registry: pipelines.registry),
                  p.partner == r.partner, p.family == r.family, p.quarter == r.quarter else { return nil }
            return p.version
        }
        return (versions.max() ?? r.version) + 1
    }

    private func keepReport(_ report: ValidationReport, partner: String, name: String) {
        try? makeDirectories(inbox + "/.portal/reports/" + partner)
        for html in [false, true] {
            let text = html ? HTMLReport.render([report], catalog: pipelines.catalog) : JSONReport.render([report], asArray: false)
            if let out = try? AtomicOutputFile(path: reportPath(partner: partner, name: name, html: html)) {
                try? out.write(text)
                try? out.commit()
            }
        }
    }
}

/// A file's SHA-256 in hex, read in blocks; nil when it cannot be read.
func fileSHA256(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var hasher = SHA256()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        if n == 0 { break }
        buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

/// Makes a rename in `dir` durable.
func syncDirectory(_ dir: String) {
    let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 { fsync(fd); close(fd) }
}

/// `s` as a JSON string literal.
func jsonString(_ s: String) -> String {
    var w = JSONWriter()
    w.string(s)
    return w.out
}
