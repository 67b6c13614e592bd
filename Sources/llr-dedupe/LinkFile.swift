import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDedupe

struct LinkFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link the rows of any person file and add a cluster_id column.")

    @Option(help: ArgumentHelp("Linkage settings with a columns: section mapping the file's columns to roles.", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("Output CSV: the input rows with cluster_id first.", valueName: "file"))
    var out: String

    @Argument(help: ArgumentHelp("The person file (CSV, optionally gzip).", valueName: "input"))
    var input: String

    func run() throws {
        throw CommandFailure("not built yet")
    }
}
