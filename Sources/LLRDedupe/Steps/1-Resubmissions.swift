import LLRCore

/// The returns read for tonight, and their accepted rows numbered 0..<n
/// across the active ones (each row's return and its index in it).
struct ReceivedRows: Sendable {
    let loaded: [LoadedReturn]
    /// False for a return a later `_vN` of its quarter replaces.
    let active: [Bool]
    let rowReturn: [Int32]
    let rowIndex: [Int32]
    /// The global number of each active return's first row.
    let firstRow: [Int]
    let returnQuarter: [FinancialQuarter]
    /// Canonical event type → its number in the loaded rows.
    let typeIndex: [String: Int16]

    var n: Int { rowReturn.count }
    @inline(__always) func ret(_ g: Int) -> LoadedReturn { loaded[Int(rowReturn[g])] }
    @inline(__always) func row(_ g: Int) -> LoadedRow { loaded[Int(rowReturn[g])].rows[Int(rowIndex[g])] }
}

/// Contract §5 step 2, resubmissions: the highest version of a partner's
/// return of a family for a quarter replaces the rest whole (a commentary
/// return's versions are apart from the records'). The replaced returns are read for their
/// lineage only; their rows take no part in the steps after.
func applyResubmissions(_ inputs: [NormalisedReturn], pipelines: Pipelines, run: inout DedupeRun) -> ReceivedRows {
    var latest: [String: Int] = [:]
    for r in inputs {
        let k = r.name.partner + "|" + r.name.family + "|" + r.name.quarter.fileToken
        latest[k] = max(latest[k] ?? 0, r.name.version)
    }
    let ordered = inputs.sorted {
        ($0.name.partner, $0.name.quarter, $0.name.version, $0.name.family) < ($1.name.partner, $1.name.quarter, $1.name.version, $1.name.family)
    }
    let active = ordered.map { latest[$0.name.partner + "|" + $0.name.family + "|" + $0.name.quarter.fileToken] == $0.name.version }

    var typeIndex: [String: Int16] = [:]
    for (i, t) in pipelines.mappings.canonicalEventTypes.enumerated() { typeIndex[t] = Int16(i) }
    let types = typeIndex
    let loaded = concurrentMap(ordered.count, jobs: run.options.jobs) { i in LoadedReturn(ordered[i], eventTypes: types, superseded: !active[i]) }
    for l in loaded { run.summary.problems.append(contentsOf: l.problems) }
    run.summary.supersededReturns = zip(loaded, active).filter { !$0.1 }.map { $0.0.source.sourceFile }
    run.lap("read")

    let (rowReturn, rowIndex, firstRow) = globalRowNumbers(loaded, active: active)
    return ReceivedRows(loaded: loaded, active: active, rowReturn: rowReturn, rowIndex: rowIndex, firstRow: firstRow,
                        returnQuarter: loaded.map { $0.source.name.quarter }, typeIndex: typeIndex)
}
