// llr-docs: writes the contract's reference pages from Pipelines/.
//
//   llr-docs [--pipelines DIR] [--out docs/contract] [--check]
//
// `make docs` runs it; with --check it writes nothing and exits 1 when a
// page differs from what Pipelines/ gives (the test suite checks the same).
import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDocs
import LLRValidation

struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-docs",
        abstract: "Write the data contract's reference pages (docs/contract/) from Pipelines/.")

    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir"))
    var pipelines: String?

    @Option(help: ArgumentHelp("Folder for the pages.", valueName: "dir"))
    var out: String = "docs/contract"

    @Flag(help: "Write nothing; exit 1 when a page is out of date.")
    var check = false

    func run() throws {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines
        do { contract = try Pipelines.load(from: dir) } catch { throw CommandFailure("cannot read the data contract in \(dir): \(error)") }
        let pages: [(name: String, text: String)]
        do { pages = try ContractDocs.render(contract) } catch { throw CommandFailure("cannot read the measures in \(dir): \(error)") }
        let stale = try ContractDocs.write(pages, to: out, checkOnly: check)
        for name in stale { print("\(out)/\(name) \(check ? "is out of date" : "written")") }
        if check && !stale.isEmpty { throw ExitCode(1) }
    }
}

runCommand(DocsCommand.self)
