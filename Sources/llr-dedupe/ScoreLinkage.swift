import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDedupe

struct ScoreLinkage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Pairwise precision, recall and F1 of person clusters and event matching against the synthetic truth.")

    @Option(help: ArgumentHelp("The generator's truth/records.csv.", valueName: "file"))
    var truth: String

    @Argument(help: ArgumentHelp("lineage.csv.gz written by llr-dedupe.", valueName: "lineage"))
    var lineage: String

    func run() throws {
        let score: LinkageScore
        do { score = try scoreLineage(truthPath: truth, lineagePath: lineage) } catch { throw CommandFailure(error.description) }
        print("rows scored: \(score.rows)" + (score.unmatchedRows > 0 ? " (\(score.unmatchedRows) not in the truth file)" : ""))
        for (name, s) in [("persons", score.persons), ("events", score.events)] {
            print("\(name): precision \(decimalText(s.precision, places: 5)), recall \(decimalText(s.recall, places: 5)), F1 \(decimalText(s.f1, places: 5)) "
                  + "(\(s.truePositives) of \(s.predictedPairs) predicted pairs true; \(s.truePairs) true pairs)")
        }
    }
}
