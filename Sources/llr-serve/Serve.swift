import ArgumentParser
import Hummingbird
import LLRCommandLine
import LLRCore
import LLRPortal
import LLRValidation
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the portal until SIGTERM or SIGINT (uploads in flight finish or are dropped whole).")

    @Option(help: ArgumentHelp("The merge's inbox: accepted returns are put here.", valueName: "dir"))
    var inbox: String

    @Option(help: ArgumentHelp("The merge's dataset folder (its --out): last night's reports and status.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("The accounts file (llr-serve account add makes it).", valueName: "file"))
    var accounts: String

    @Option(help: ArgumentHelp("The merge's state folder, for the audit log (default: OUT/state).", valueName: "dir"))
    var state: String?

    @Option(help: ArgumentHelp("The address to listen on; keep 127.0.0.1 behind a TLS proxy.", valueName: "host"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port to listen on.", valueName: "port"))
    var port = 8080

    @Option(name: .customLong("max-upload-mb"), help: ArgumentHelp("The largest file taken, in MB.", valueName: "mb"))
    var maxUploadMB = 200

    @Option(help: ArgumentHelp("The Pipelines folder holding the data contract (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func validate() throws {
        if !(1...65535).contains(port) { throw ValidationError("--port must be from 1 to 65535") }
        if !(1...10_000).contains(maxUploadMB) { throw ValidationError("--max-upload-mb must be from 1 to 10000") }
        if !isDirectory(inbox) { throw ValidationError("--inbox \(inbox) is not a folder: create it, or give the merge's inbox") }
    }

    func run() async throws {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines
        do { contract = try Pipelines.load(from: dir) } catch { throw CommandFailure("cannot read the data contract in \(dir): \(error)") }
        let settings = PortalSettings(inbox: inbox, dataset: out, accounts: accounts, state: state ?? out + "/state",
                                      maxUploadBytes: Int64(maxUploadMB) * 1_048_576)
        let portal: Portal
        do { portal = try Portal(settings: settings, pipelines: contract) } catch { throw CommandFailure(error.description) }
        var logger = Logger(label: "llr-serve")
        logger.logLevel = .info
        let app = Application(router: portal.router(), configuration: .init(address: .hostname(host, port: port), serverName: "llr-serve"),
                              onServerRunning: { _ in writeStandardError("llr-serve: listening on http://\(host):\(port)\n") }, logger: logger)
        try await app.runService()
    }
}
