import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDedupe

struct LinkFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link the rows of any person file and add a cluster_id column.",
        discussion: "The config is Pipelines/linkage.yaml's shape plus a columns: section, e.g. columns: {forename: first_name, surname: surname, dob: dob, dobFormat: '%d/%m/%Y', sex: gender, postcode: postcode, nhs_number: nhs}. Roles left out are not compared.")

    @Option(help: ArgumentHelp("Linkage settings with a columns: section mapping the file's columns to roles.", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("Output CSV: the input rows with cluster_id first.", valueName: "file"))
    var out: String

    @Argument(help: ArgumentHelp("The person file (CSV, optionally gzip).", valueName: "input"))
    var input: String

    @Option(help: "Pairs scored at the same time (default: the number of cores).")
    var jobs: Int = coreCount

    func run() throws {
        let settings = try loadLinkage(config)
        let summary: GenericLinkSummary
        do { summary = try linkPersonFile(input: input, settings: settings, out: out, jobs: jobs) } catch { throw CommandFailure(error.description) }
        print("\(summary.rows) rows in \(summary.clusters) clusters; \(summary.link.candidatePairs) candidate pairs"
              + (summary.unreadableDates > 0 ? "; \(summary.unreadableDates) dates of birth did not match dobFormat and were left out" : ""))
        print("wrote \(out)")
    }
}
