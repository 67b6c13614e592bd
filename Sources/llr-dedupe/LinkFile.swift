import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDedupe

struct LinkFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link the rows of any person files and add a cluster_id column.",
        discussion: """
            The config maps the file's columns to roles (columns: {forename: first_name, surname: surname, dob: dob, \
            dobFormat: '%d/%m/%Y', sex: gender, postcode: postcode, nhs_number: nhs}; roles left out are not compared), \
            may compare any other column (compare: [{column: street, levels: [{level: exact}, {level: jaro-winkler, \
            threshold: 0.9}, {level: else}]}]; levels exact, jaro-winkler, one-digit, distance with within:, else) and \
            may set training: em (the default when it has no deterministic rule) or identifiers. Sections it leaves \
            out (probabilistic:, nicknames:) are the nightly linkage's, from Pipelines/linkage.yaml; with EM and no \
            probabilistic section a pair is joined when it is more likely a match than not. Several inputs with one \
            header are linked together, and the output gains a source_file column.

            Example: llr-dedupe link --config febrl.yaml --out linked.csv dataset4a.csv dataset4b.csv
            """)

    @Option(help: ArgumentHelp("Linkage settings with a columns: section mapping the file's columns to roles.", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("Output CSV: the input rows with cluster_id first.", valueName: "file"))
    var out: String

    @Argument(help: ArgumentHelp("The person files (CSV, optionally gzip), one header.", valueName: "input"))
    var inputs: [String]

    @Option(help: ArgumentHelp("The Pipelines folder whose linkage.yaml fills the sections the config leaves out (default: the project's).", valueName: "dir"))
    var pipelines: String?

    @Option(help: "Pairs scored at the same time (default: the number of cores).")
    var jobs: Int = coreCount

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input file") }
    }

    func run() throws {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let nightly = try loadLinkage(dir + "/linkage.yaml")
        let settings: LinkageSettings
        do { settings = try LinkageSettings.load(path: config, name: baseName(config), defaults: nightly) } catch {
            throw CommandFailure("cannot read the linkage settings: \(error)")
        }
        let summary: GenericLinkSummary
        do { summary = try linkPersonFiles(inputs: inputs, settings: settings, out: out, jobs: jobs) } catch { throw CommandFailure(error.description) }
        let s = summary.link
        print("\(summary.rows) rows in \(summary.clusters) clusters; \(s.candidatePairs) candidate pairs; linked in \(decimalText(summary.linkSeconds, places: 2)) s"
              + (summary.unreadableDates > 0 ? "; \(summary.unreadableDates) dates of birth did not match dobFormat and were left out" : "")
              + (summary.unreadableValues > 0 ? "; \(summary.unreadableValues) compare cells were not numbers or dates and were not compared by distance" : ""))
        if settings.training == .em {
            print("EM: \(s.emIterations) rounds; \(decimalText(s.emLambda * 100, places: 2))% of candidate pairs estimated to match; match weight \(decimalText(s.matchWeight, places: 2))")
        }
        print("wrote \(out)")
    }
}
