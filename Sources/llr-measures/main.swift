// llr-measures: the board's measures (Pipelines/measures.yaml) on a dataset.
//
//   llr-measures compute --dataset OUT [--quarters 2024-25_Q1,…] [--jobs N]
//   llr-measures explain CODE
//   llr-measures list
//   llr-measures truth --dataset OUT --truth SampleData/truth/records.csv
//
// `compute` reads OUT/events.csv.gz (what llr-merge or llr-dedupe wrote) and
// writes OUT/measures.csv.gz, OUT/published/measures.csv (small counts
// withheld) and OUT/restricted/measure_members.csv.gz. The nightly merge
// does the same by itself.
import ArgumentParser
import LLRCommandLine

struct MeasuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-measures",
        abstract: "The board's quarterly measures: compute them on a dataset, or explain one.",
        subcommands: [ComputeMeasures.self, ExplainMeasure.self, ListMeasures.self, TruthMeasures.self],
        defaultSubcommand: ComputeMeasures.self)
}

runCommand(MeasuresCommand.self)
