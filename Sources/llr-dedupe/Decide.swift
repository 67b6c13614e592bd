import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDedupe

struct Decide: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Record clerical decisions on pairs from review.csv, so that every later night keeps them.",
        discussion: """
            FILE is a CSV with the columns source_file_a, source_row_a, source_file_b, source_row_b, decision (match or \
            non-match), decided_by and note: review.csv with those three columns filled in will do. A match keeps the two \
            rows' children as one, a non-match keeps them apart, whatever the scores, on every later night (a later \
            decision on the same pair replaces it; every decision stays in the state's log). A row naming rows the last \
            night did not link is refused with its line; the others are recorded.

            Example: llr-dedupe decide --state state/linkage.sqlite decisions.csv

            Exit status: 0 every line recorded, 1 some lines refused (the others recorded), 2 the state or the file could not be read.
            """)

    @Option(help: ArgumentHelp("The linkage state (llr-merge keeps it in STATE/linkage.sqlite).", valueName: "file"))
    var state: String

    @Argument(help: ArgumentHelp("The decisions (CSV).", valueName: "file"))
    var file: String

    func run() throws {
        guard fileExists(state) else {
            throw CommandFailure("no linkage state at \(state): give the state llr-merge keeps (STATE/linkage.sqlite), after a night has run")
        }
        let linkage: LinkageState
        do { linkage = try LinkageState(path: state) } catch { throw CommandFailure("cannot open the linkage state: \(error.description)") }
        let outcome: DecisionFileOutcome
        do { outcome = try recordDecisions(path: file, state: linkage, now: timestampUTC()) } catch { throw CommandFailure(error.description) }
        let matches = outcome.recorded.filter { $0.verdict == .match }.count
        print("recorded \(outcome.recorded.count) decisions (\(matches) match, \(outcome.recorded.count - matches) non-match); they apply from the next night")
        guard !outcome.refused.isEmpty else { return }
        for r in outcome.refused { print("\(file):\(r.line): refused: \(r.reason)") }
        writeStandardError("llr-dedupe decide: \(outcome.refused.count) decisions refused (listed above): fix those lines and run decide again; lines already recorded are kept once\n")
        throw ExitCode(1)
    }
}
