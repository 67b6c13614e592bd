import ArgumentParser
import Foundation
import LLRCommandLine
import LLRCore
import LLRWarehouse
import Logging

/// `llr-merge warehouse-init`: the warehouse's schemas and roles, once.
struct WarehouseInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warehouse-init",
        abstract: "Set up the PostgreSQL warehouse once (schemas llr, llr_published, llr_restricted and their reader roles); run by an owner with CREATEROLE. Running it again changes nothing.")

    @Option(help: ArgumentHelp("The warehouse: postgres://USER@HOST:5432/DB (default: LLR_WAREHOUSE_URL).", valueName: "url"))
    var warehouse: String?

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func run() async throws {
        noticeLogging()
        let w = try requiredWarehouse(warehouse, pipelines: pipelines)
        do { try await w.initialise() } catch { throw CommandFailure(error.description) }
        print("the warehouse at \(w.address.redacted) has its schemas (\(w.layout.schemas.map(\.name).joined(separator: ", "))) and roles (\(w.layout.roles.joined(separator: ", ")))")
    }
}

/// `llr-merge warehouse-load`: a dataset folder into the warehouse, by hand
/// (a night whose load failed, or to time the load).
struct WarehouseLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warehouse-load",
        abstract: "Load a dataset folder llr-merge wrote into the warehouse and swap it in (what --warehouse does after a night).")

    @Option(help: ArgumentHelp("The dataset folder (llr-merge's --out).", valueName: "dir"))
    var dataset: String

    @Option(help: ArgumentHelp("The warehouse: postgres://USER@HOST:5432/DB (default: LLR_WAREHOUSE_URL).", valueName: "url"))
    var warehouse: String?

    @Flag(help: "Load the night even if the warehouse already holds it.")
    var again = false

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func run() async throws {
        noticeLogging()
        let w = try requiredWarehouse(warehouse, pipelines: pipelines)
        do { print("warehouse: " + (try await w.load(dataset: dataset, again: again)).message) } catch { throw CommandFailure(error.description) }
    }
}

/// --warehouse, else LLR_WAREHOUSE_URL (where a URL holding a password
/// stays out of the process list); nil when neither is given.
func warehouseURL(_ given: String?) -> String? { given ?? ProcessInfo.processInfo.environment["LLR_WAREHOUSE_URL"] }

/// The warehouse a warehouse command works on: it cannot run without one.
func requiredWarehouse(_ given: String?, pipelines: String?) throws -> Warehouse {
    guard let url = warehouseURL(given) else { throw CommandFailure("give --warehouse postgres://USER@HOST:5432/DB, or set LLR_WAREHOUSE_URL") }
    return try openWarehouse(url: url, pipelines: pipelines)
}

func openWarehouse(url: String, pipelines: String?) throws -> Warehouse {
    let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
    do {
        return Warehouse(address: try WarehouseAddress(url: url), layout: try WarehouseLayout.load(pipelines: dir))
    } catch let e as WarehouseFailure { throw CommandFailure(e.description) } catch { throw CommandFailure("cannot read \(dir)/warehouse.yaml: \(error)") }
}

/// The warehouse step after a night: its outcome on standard output and in
/// `STATE/warehouse-status.txt` (the next night's report names a failure);
/// exit 3 when it failed, the files on disk untouched.
func loadWarehouse(url: String, dataset: String, pipelines: String?, state: String) async throws {
    let status = state + "/warehouse-status.txt"
    let text: String, failed: Bool
    do {
        let w = try openWarehouse(url: url, pipelines: pipelines)
        let r = try await w.load(dataset: dataset)
        (text, failed) = ("warehouse: \(r.message) (\(w.address.redacted))", false)
    } catch let e as WarehouseFailure { (text, failed) = ("warehouse: \(e.description)", true) }
    catch let e as CommandFailure { (text, failed) = ("warehouse: \(e.description)", true) }
    if let out = try? AtomicOutputFile(path: status) { try? out.write((failed ? "failed: " : "ok: ") + text + "\n"); try? out.commit() }
    if failed {
        writeStandardError("llr-merge: the night completed on disk; \(text)\n")
        throw ExitCode(3)
    }
    print(text)
}

/// Notices and worse on standard error, for the warehouse commands run on
/// their own (a night sets up logging at its own --log-level).
func noticeLogging() {
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = .notice
        return h
    }
}
