import Foundation
import LLRTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real `llr-serve` on a free loopback port, over a fresh inbox, with a
/// partner account for LCC, one for UHL and a business-unit account; the
/// dataset folder is the sample's merge when the test gives one.
final class PortalServer: @unchecked Sendable {
    let root = tempDir()
    var inbox: String { root + "/inbox" }
    var accounts: String { root + "/accounts.json" }
    var state: String { root + "/state" }
    let dataset: String
    private(set) var port = 0
    private var process: Process?
    private(set) var tokens: [String: String] = [:]
    static let passwords = ["lcc": "lcc password 123", "uhl": "uhl password 456", "bu": "business unit 789"]

    init(dataset: String? = nil, maxUploadMB: Int = 200) throws {
        self.dataset = dataset ?? tempDir()
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        for (name, partner) in [("lcc", "LCC"), ("uhl", "UHL"), ("bu", "")] {
            var args = ["account", "add", "--accounts", accounts, "--name", name]
            args += partner.isEmpty ? ["--role", "business-unit"] : ["--partner", partner]
            let r = try runTool("llr-serve", args, input: PortalServer.passwords[name]! + "\n")
            guard r.status == 0, let token = r.out.split(separator: "\n").last else { throw PortalTestError("account add failed: \(r.text)") }
            tokens[name] = String(token)
        }
        try start(maxUploadMB: maxUploadMB)
    }

    /// Starts the server on the first free port it finds, and waits until it listens.
    func start(maxUploadMB: Int) throws {
        for _ in 0..<20 {
            let candidate = Int.random(in: 20_000...60_000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: packageRoot + "/.build/debug/llr-serve")
            p.arguments = ["--inbox", inbox, "--out", dataset, "--accounts", accounts, "--state", state, "--port", "\(candidate)",
                           "--max-upload-mb", "\(maxUploadMB)"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            var seen = ""
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && p.isRunning && !seen.contains("listening on") {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { usleep(20_000) } else { seen += String(decoding: chunk, as: UTF8.self) }
            }
            if seen.contains("listening on") {
                process = p
                port = candidate
                // Keep draining the log so the server never blocks on a full pipe.
                DispatchQueue.global().async { _ = err.fileHandleForReading.readDataToEndOfFile() }
                return
            }
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
        }
        throw PortalTestError("llr-serve did not start")
    }

    /// SIGTERM, and the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let p = process else { return 0 }
        p.terminate()
        p.waitUntilExit()
        process = nil
        return p.terminationStatus
    }

    deinit { stop() }

    var base: String { "http://127.0.0.1:\(port)" }

    /// curl against the server: (status, body).
    func curl(_ args: [String]) throws -> (status: Int, body: String) {
        let r = try runProgram("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}"] + args)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Uploads `file` as `name` with an account's token.
    func upload(_ file: String, as name: String, account: String = "lcc") throws -> (status: Int, body: String) {
        let query = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? name
        return try curl(["-H", "Authorization: Bearer \(tokens[account] ?? "")", "--data-binary", "@" + file, base + "/api/returns?name=" + query])
    }

    func get(_ path: String, account: String = "lcc") throws -> (status: Int, body: String) {
        try curl(["-H", "Authorization: Bearer \(tokens[account] ?? "")", base + path])
    }

    /// The server's peak resident memory so far, in MiB (VmHWM).
    var peakMemoryMiB: Int {
        guard let pid = process?.processIdentifier, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return -1 }
        return (Int(line.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }) ?? "") ?? 0) / 1024
    }

    /// The inbox's visible files.
    var inboxFiles: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: inbox)) ?? []).filter { !$0.hasPrefix(".") }.sorted() }
}

struct PortalTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A sample return copied under a temporary path.
func sampleReturn(_ name: String) -> String { packageRoot + "/SampleData/returns/" + name }
