import Foundation
import LLRCore
import LLRTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server `make test` (and .ci/run) starts for these tests.
let serverURL = ProcessInfo.processInfo.environment["LLR_TEST_WAREHOUSE_URL"]

/// A database of its own for one test, on the test server, owned by llr_owner.
struct TestWarehouse {
    let url: String
    let name = "llr_t" + UUID().uuidString.prefix(8).lowercased()

    init() throws {
        guard let base = serverURL else { throw WarehouseTestError("no PostgreSQL server: run the tests with make test, which starts one (LLR_TEST_WAREHOUSE_URL)") }
        let r = try runProgram("/usr/bin/psql", [base, "-q", "-c", "CREATE DATABASE \(name)"])
        guard r.status == 0 else { throw WarehouseTestError("cannot create a test database: \(r.text)") }
        url = String(base[..<base.lastIndex(of: "/")!]) + "/" + name
    }

    /// One value from a query, as text ("" when it failed; `error` says
    /// why); `as` a person's login holding that group role, as a DBA grants it.
    func value(_ sql: String, as group: String? = nil) -> (text: String, error: String) {
        var target = url
        if let group {
            let login = group + "_" + UUID().uuidString.prefix(6).lowercased()
            _ = value("CREATE ROLE \(login) LOGIN PASSWORD 'reader-pw' IN ROLE \(group)")
            target = url.replacingOccurrences(of: "llr_owner:owner-secret@", with: "\(login):reader-pw@")
        }
        guard let r = try? runProgram("/usr/bin/psql", [target, "-At", "-q", "-c", sql]) else { return ("", "psql did not run") }
        return (r.out.trimmingCharacters(in: .whitespacesAndNewlines), r.err)
    }

    func count(_ table: String) -> Int { Int(value("SELECT count(*) FROM \(table)").text) ?? -1 }
}

struct WarehouseTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A night merged from the sample (only the returns `filter` keeps) into a fresh folder.
func night(_ filter: (String) -> Bool = { _ in true }, warehouse: String? = nil, out: String = tempDir() + "/out",
           pipelines: String? = nil) throws -> (out: String, run: ToolRun) {
    let inbox = tempDir()
    for name in try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/SampleData/returns") where filter(name) {
        try FileManager.default.copyItem(atPath: packageRoot + "/SampleData/returns/" + name, toPath: inbox + "/" + name)
    }
    var args = ["--inbox", inbox, "--out", out, "--as-of", "2024-10-31", "--demo-key"]
    if let warehouse { args += ["--warehouse", warehouse] }
    if let pipelines { args += ["--pipelines", pipelines] }
    return (out, try runTool("llr-merge", args))
}

/// Rows in a dataset file (its lines but the header).
func fileRows(_ path: String) throws -> Int {
    let text = path.hasSuffix(".gz") ? try gunzip(path) : try String(contentsOfFile: path, encoding: .utf8)
    var rows = 0
    CSVFileRowsCount.count(text) { rows += 1 }
    return rows
}

enum CSVFileRowsCount {
    /// Records in CSV text (quoted line breaks stay inside their record), header excluded.
    static func count(_ text: String, _ each: () -> Void) {
        var inQuotes = false, first = true
        for b in text.utf8 {
            if b == 0x22 { inQuotes.toggle() } else if b == 0x0A && !inQuotes { if first { first = false } else { each() } }
        }
    }
}

@Suite("The warehouse (PostgreSQL)", .serialized)
struct WarehouseTests {
    @Test func initTwiceThenANightLoadsEveryTableWithTheFilesCounts() throws {
        let w = try TestWarehouse()
        for _ in 0..<2 { #expect(try runTool("llr-merge", ["warehouse-init", "--warehouse", w.url]).status == 0) }
        let (out, run) = try night(warehouse: w.url)
        #expect(run.status == 0 && run.out.contains("warehouse: loaded 16 tables"), "\(run.text)")
        for (table, file) in [("llr_published.events", "published/events.csv"), ("llr.events", "events.csv.gz"), ("llr.lineage", "lineage.csv.gz"),
                              ("llr.measures", "measures.csv.gz"), ("llr_published.measures", "published/measures.csv"),
                              ("llr_restricted.person_identifiers", "restricted/person_identifiers.csv.gz"), ("llr.commentary", "commentary.csv.gz")] {
            #expect(w.count(table) == (try fileRows(out + "/" + file)), "\(table)")
        }
        #expect(w.value("SELECT data_type FROM information_schema.columns WHERE table_schema = 'llr' AND table_name = 'events' AND column_name = 'event_start'").text == "date")
        #expect(w.value("SELECT sum(events) FROM llr_published.events_by_quarter_la").text == String(w.count("llr_published.events")))
        #expect(!run.text.contains("owner-secret"), "the password is never printed")
        let same = try runTool("llr-merge", ["warehouse-load", "--dataset", out, "--warehouse", w.url])
        #expect(same.status == 0 && same.out.contains("already holds this night") && same.out.contains("nothing loaded"), "\(same.text)")
        let again = try runTool("llr-merge", ["warehouse-load", "--dataset", out, "--warehouse", w.url, "--again"])
        #expect(again.status == 0 && again.out.contains("loaded 16 tables") && w.count("llr_warehouse.loads") == 1, "\(again.text)")
        // The example queries of docs/contract/warehouse.md run, each as its reader.
        let docs = try String(contentsOfFile: packageRoot + "/docs/contract/warehouse.md", encoding: .utf8)
        let queries = docs.components(separatedBy: "\n\n").filter { $0.hasPrefix("    SELECT") }.map { $0.replacingOccurrences(of: "\n    ", with: " ") }
        #expect(queries.count == 3)
        for q in queries {
            let r = w.value(q.trimmingCharacters(in: .whitespaces), as: q.contains("llr.events") ? "llr_business" : "llr_analyst")
            #expect(!r.text.isEmpty && r.error.isEmpty, "\(q): \(r.error)")
        }
    }

    @Test func theAnalystRoleReadsThePublishedSchemaOnly() throws {
        let w = try TestWarehouse()
        #expect(try runTool("llr-merge", ["warehouse-init", "--warehouse", w.url]).status == 0)
        #expect(try night(warehouse: w.url).run.status == 0)
        #expect(w.value("SELECT count(*) > 0 FROM llr_published.events", as: "llr_analyst").text == "t")
        for table in ["llr.lineage", "llr_restricted.person_identifiers"] {
            let r = w.value("SELECT count(*) FROM \(table)", as: "llr_analyst")
            #expect(r.text.isEmpty && r.error.contains("permission denied"), "\(table): \(r)")
        }
        #expect(w.value("SELECT count(*) > 0 FROM llr.lineage", as: "llr_business").text == "t")
        #expect(w.value("SELECT count(*) FROM llr_restricted.person_identifiers", as: "llr_business").error.contains("permission denied"))
        #expect(w.value("SELECT count(*) > 0 FROM llr_restricted.person_identifiers", as: "llr_restricted").text == "t")
    }

    /// A dashboard polling while the next night loads sees last night's
    /// figures or tonight's, never an empty or half-loaded table.
    @Test func aReaderPollingDuringALoadSeesOnlyWholeNights() throws {
        let w = try TestWarehouse()
        #expect(try runTool("llr-merge", ["warehouse-init", "--warehouse", w.url]).status == 0)
        let out = tempDir() + "/out"
        #expect(try night({ $0.contains("Q1") }, warehouse: w.url, out: out).run.status == 0)
        let first = w.count("llr_published.events")
        let seen = Locked<[String]>([]), loading = Locked(true)
        let polling = DispatchGroup()
        DispatchQueue.global().async(group: polling) {
            while loading.value {
                let v = w.value("SELECT (SELECT count(*) FROM llr_published.events) || ' ' || (SELECT count(*) FROM llr_published.persons)")
                seen.update { $0.append(v.text.isEmpty ? "error: " + v.error : v.text) }
            }
        }
        let second = try night(warehouse: w.url, out: out)
        loading.value = false
        polling.wait()
        #expect(second.run.status == 0, "\(second.run.text)")
        let nights = Set(seen.value)
        let firstNight = "\(first) \(try fileRows(out + "/published/persons.csv"))"
        #expect(seen.value.count > 1)
        #expect(nights.allSatisfy { !$0.hasPrefix("error") && $0 != "0 0" }, "\(nights)")
        #expect(nights.count <= 2, "only last night's figures and tonight's: \(nights) (\(firstNight) first)")
    }

    /// Killed in the middle of a load: last night's tables stand; the next run loads.
    @Test func aLoadKilledHalfwayLeavesLastNight() throws {
        let w = try TestWarehouse()
        #expect(try runTool("llr-merge", ["warehouse-init", "--warehouse", w.url]).status == 0)
        let out = tempDir() + "/out"
        #expect(try night({ $0.contains("Q1") }, warehouse: w.url, out: out).run.status == 0)
        let before = w.count("llr.events")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: packageRoot + "/.build/debug/llr-merge")
        p.arguments = ["--inbox", packageRoot + "/SampleData/returns", "--out", out, "--as-of", "2024-10-31", "--demo-key", "--warehouse", w.url]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until tonight's load has begun (its load schema exists), then kill.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && w.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'llr_load'").text != "1" { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(w.count("llr.events") == before, "last night's tables stand")
        let again = try runTool("llr-merge", ["--inbox", packageRoot + "/SampleData/returns", "--out", out, "--as-of", "2024-10-31", "--demo-key", "--warehouse", w.url])
        #expect(again.status == 0 && again.out.contains("warehouse: loaded"), "\(again.text)")
        #expect(w.count("llr.events") == (try fileRows(out + "/events.csv.gz")))
    }

    @Test func serverDownOrWrongPasswordFailsTheStepNotTheNight() throws {
        let w = try TestWarehouse()
        let down = try night(warehouse: "postgres://llr_owner:x@127.0.0.1:1/llr")
        #expect(down.run.status == 3 && down.run.err.contains("cannot connect to the warehouse at postgres://llr_owner@127.0.0.1:1/llr"), "\(down.run.text)")
        #expect(FileManager.default.fileExists(atPath: down.out + "/run-report.html"), "the night completed on disk")
        let wrong = w.url.replacingOccurrences(of: "owner-secret", with: "not-the-secret")
        let refused = try night({ $0.contains("Q1") }, warehouse: wrong)
        #expect(refused.run.status == 3 && refused.run.err.contains("password authentication failed") && !refused.run.text.contains("not-the-secret"), "\(refused.run.text)")
        // The next night (new returns came) names the failure in its report.
        let next = try night(out: refused.out).run
        #expect(next.status == 0 && !next.out.contains("nothing new"), "\(next.text)")
        #expect(try String(contentsOfFile: refused.out + "/run-report.html", encoding: .utf8).contains("the warehouse was not loaded after the last night"))
        // Not set up: the message says to run warehouse-init.
        let fresh = try night(warehouse: w.url)
        #expect(fresh.run.status == 3 && fresh.run.err.contains("warehouse-init"), "\(fresh.run.text)")
    }

    /// A query still running on last night's tables holds them: the swap
    /// waits its bounded time, gives up cleanly, and the next night loads.
    @Test func aLongQueryMakesTheSwapGiveUpAndTheNextNightLoad() throws {
        let w = try TestWarehouse()
        let pipelines = try editedPipelines("warehouse.yaml") { $0.replacingOccurrences(of: "swapLockTimeoutSeconds: 10", with: "swapLockTimeoutSeconds: 1") }
        #expect(try runTool("llr-merge", ["warehouse-init", "--warehouse", w.url, "--pipelines", pipelines]).status == 0)
        let out = tempDir() + "/out"
        #expect(try night({ $0.contains("Q1") }, warehouse: w.url, out: out, pipelines: pipelines).run.status == 0)
        let loaded = w.count("llr_published.events")
        let analyst = Process()
        analyst.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        analyst.arguments = [w.url, "-q", "-c", "BEGIN; LOCK TABLE llr_published.events IN ACCESS SHARE MODE; SELECT pg_sleep(30); COMMIT;"]
        analyst.standardOutput = FileHandle.nullDevice
        try analyst.run()
        usleep(500_000)
        // Tonight swaps in (the analyst's query goes on with what is now *_previous) …
        #expect(try night({ $0.contains("Q1") || $0.contains("LCC") }, warehouse: w.url, out: out, pipelines: pipelines).run.status == 0)
        let tonight = w.count("llr_published.events")
        // … and the next night cannot drop *_previous while that query runs.
        let blocked = try night(warehouse: w.url, out: out, pipelines: pipelines)
        #expect(blocked.run.status == 3 && blocked.run.err.contains("the swap gave up"), "\(blocked.run.text)")
        #expect(w.count("llr_published.events") == tonight && tonight != loaded)
        _ = w.value("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")
        analyst.waitUntilExit()
        let retried = try runTool("llr-merge", ["--inbox", packageRoot + "/SampleData/returns", "--out", out, "--as-of", "2024-10-31", "--demo-key",
                                                "--warehouse", w.url, "--pipelines", pipelines])
        #expect(retried.status == 0 && retried.out.contains("warehouse: loaded"), "\(retried.text)")
    }
}
