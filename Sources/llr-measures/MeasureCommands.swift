import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRMeasures
import LLRMerge
import LLRValidation
#if canImport(Glibc)
import Glibc
#endif

/// Where the contract is: the one option every subcommand shares.
struct CatalogueOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Pipelines folder holding the data contract (default: the project's).", valueName: "dir"))
    var pipelines: String?

    func load() throws -> MergeContract {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        do { return try MergeContract.load(from: dir) } catch { throw CommandFailure("cannot read the data contract in \(dir): \(error)") }
    }
}

struct ComputeMeasures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute",
        abstract: "Compute every measure on a dataset folder that llr-merge or llr-dedupe wrote.")

    @OptionGroup var catalogue: CatalogueOptions

    @Option(help: ArgumentHelp("The dataset folder (holding events.csv.gz).", valueName: "dir"))
    var dataset: String

    @Option(help: ArgumentHelp("Quarters to compute, e.g. 2024-25_Q1,2024-25_Q2 (default: those quality.csv.gz has returns for).", valueName: "list"))
    var quarters: String?

    @Option(help: ArgumentHelp("Cores to use.", valueName: "n"))
    var jobs: Int = coreCount

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        for q in (quarters ?? "").split(separator: ",") where FinancialQuarter(String(q)) == nil {
            throw ValidationError("--quarters: '\(q)' is not a quarter; write them like 2024-25_Q1,2024-25_Q2")
        }
        if !fileExists(dataset + "/events.csv.gz") { throw ValidationError("\(dataset)/events.csv.gz does not exist: give the folder llr-merge --out or llr-dedupe --out wrote") }
    }

    func run() throws {
        let contract = try catalogue.load()
        let chosen = try quarterList()
        let received = quarters == nil ? try Self.returns(inQualityOf: dataset).received : nil
        let run = MeasureRun(catalogue: contract.measures, contract: contract.pipelines, totalCode: contract.settings.totalCode)
        let result: MeasureResult, said: PackCommentary, packSeconds: Double
        do {
            let (computed, events) = try run.compute(eventsPath: dataset + "/events.csv.gz", quarters: chosen, received: received, jobs: jobs)
            result = computed
            // The partners' commentary the merge kept beside the dataset, reconciled with tonight's figures.
            said = run.reconcile(try CommentaryTable.read(path: dataset + "/commentary.csv.gz"), figures: result.figures)
            packSeconds = try run.write(result, events: events, quarters: chosen, to: dataset, totalName: contract.settings.totalName,
                          suppressMinimum: contract.settings.suppressMinimum, suppressMaximum: contract.settings.suppressMaximum,
                          marker: contract.settings.suppressionMarker, commentary: said)
        } catch let e as MeasureFailure { throw CommandFailure(e.description) } catch { throw CommandFailure("writing the measures failed: \(error)") }
        for p in Set(result.problems).sorted() { writeStandardError("llr-measures: \(p)\n") }
        for d in said.discrepancies { print("figures differ: \(d.text)") }
        print("\(contract.measures.measures.count) measures × \(chosen.count) quarters: \(result.figures.count) figures in \(dataset)/measures.csv.gz, "
              + "published/measures.csv and restricted/measure_members.csv.gz; the board's packs in \(decimalText(packSeconds, places: 3)) s")
    }

    func quarterList() throws -> [FinancialQuarter] {
        if let quarters { return quarters.split(separator: ",").compactMap { FinancialQuarter(String($0)) } }
        return try Self.quarters(inQualityOf: dataset)
    }

    /// The quarters quality.csv.gz has a return for.
    static func quarters(inQualityOf dataset: String) throws -> [FinancialQuarter] { try returns(inQualityOf: dataset).quarters }

    /// The quarters quality.csv.gz has a return for, and the returns whose
    /// rows are in the dataset ("PARTNER|2024-25_Q1"), as the merge counts them.
    static func returns(inQualityOf dataset: String) throws -> (quarters: [FinancialQuarter], received: Set<String>) {
        var found = Set<FinancialQuarter>(), received = Set<String>()
        var columns: [Int] = []
        let needed = ["financial_year", "quarter", "file", "partner", "return_status"]
        let problem = CSVFileRows.read(path: dataset + "/quality.csv.gz", header: { columns = CSVFileRows.columns($0, needed) }) { row in
            guard !columns.contains(-1), row.storedCount > columns.max()!, row.cell(columns[2]).count > 0 else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(columns[k]), as: UTF8.self) }
            guard let quarter = FinancialQuarter(text(0) + "_" + text(1)) else { return }
            found.insert(quarter)
            if !["unreadable", QualityRow.leftOutTonight].contains(text(4)) { received.insert(text(3) + "|" + quarter.fileToken) }
        }
        if problem != nil || found.isEmpty {
            throw CommandFailure("\(dataset)/quality.csv.gz names no quarter with a return (llr-dedupe writes none): give --quarters 2024-25_Q1,…")
        }
        return (found.sorted(), received)
    }
}

struct ExplainMeasure: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Print a measure's definition in plain English.")

    @OptionGroup var catalogue: CatalogueOptions

    @Argument(help: ArgumentHelp("The measure's code, e.g. RE_REFERRALS_12M.", valueName: "code"))
    var code: String

    func run() throws {
        let c = try catalogue.load().measures
        guard let text = c.explain(code) else {
            throw CommandFailure(ContractNames("a measure of the catalogue", c.measures.map(\.code)).message(for: code))
        }
        print(text, terminator: "")
    }
}

struct ListMeasures: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the measures: code, unit and title.")

    @OptionGroup var catalogue: CatalogueOptions

    func run() throws {
        for m in try catalogue.load().measures.measures {
            print(m.code.padding(toLength: 24, withPad: " ", startingAt: 0) + m.unit.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + m.title)
        }
    }
}

struct TruthMeasures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "truth",
        abstract: "On synthetic data: the measures as perfect linkage would give them, and where the dataset's differ.")

    @OptionGroup var catalogue: CatalogueOptions

    @Option(help: ArgumentHelp("The dataset folder llr-merge wrote from llr-synth's returns.", valueName: "dir"))
    var dataset: String

    @Option(help: ArgumentHelp("llr-synth's truth/records.csv for those returns.", valueName: "file"))
    var truth: String

    @Option(help: ArgumentHelp("Figures to list, largest gap first.", valueName: "n"))
    var top: Int = 10

    func run() throws {
        let contract = try catalogue.load()
        let quarters = try ComputeMeasures.quarters(inQualityOf: dataset)
        let run = MeasureRun(catalogue: contract.measures, contract: contract.pipelines, totalCode: contract.settings.totalCode)
        let figures = Result { () throws(MeasureFailure) in try both(run, quarters) }
        guard case .success(let (computed, perfect)) = figures else {
            if case .failure(let e) = figures { throw CommandFailure(e.description) }
            return
        }
        let gaps = LinkageTruth.gaps(computed, perfect)
        print("\(computed.count) figures; \(gaps.count) differ from perfect linkage")
        for g in gaps.prefix(max(top, 0)) {
            let f = g.figure
            print("  \(f.measure) \(f.quarter) \(f.area): \(f.numerator ?? 0) against \(g.truth) (\(g.gap > 0 ? "+" : "")\(g.gap))")
        }
    }

    /// The dataset's figures, and perfect linkage's.
    func both(_ run: MeasureRun, _ quarters: [FinancialQuarter]) throws(MeasureFailure) -> ([MeasureFigure], [MeasureFigure]) {
        let truthEvents = dataset + "/.measures-truth-events.csv"
        defer { unlink(truthEvents) }
        let computed = try run.compute(eventsPath: dataset + "/events.csv.gz", quarters: quarters, jobs: coreCount).0.figures
        try LinkageTruth.writeTruthEvents(dataset: dataset, truth: truth, to: truthEvents)
        return (computed, try run.compute(eventsPath: truthEvents, quarters: quarters, jobs: coreCount).0.figures)
    }
}
