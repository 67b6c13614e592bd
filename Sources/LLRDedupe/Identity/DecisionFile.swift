import LLRCore

/// What `llr-dedupe decide` did with a file of decisions.
public struct DecisionFileOutcome: Sendable {
    public var recorded: [ClericalDecision] = []
    /// Each refused row: its line and what is wrong, so it can be fixed.
    public var refused: [(line: Int, reason: String)] = []
}

/// The columns a decisions file needs (review.csv with decision,
/// decided_by and note added is one: other columns are ignored).
public let decisionColumns = ["source_file_a", "source_row_a", "source_file_b", "source_row_b", "decision", "decided_by", "note"]

/// Reads a file of clerical decisions and records in `state` every row
/// that names two rows the last night linked; the others are refused with
/// their line. `now` is written as each decision's time.
public func recordDecisions(path: String, state: LinkageState, now: String) throws(DedupeFailure) -> DecisionFileOutcome {
    let linked: LinkedRows
    do { linked = try state.linkedRows() } catch { throw DedupeFailure(description: "the linkage state cannot be read: \(error)") }
    if linked.bits.isEmpty {
        throw DedupeFailure(description: "the linkage state has no night's rows yet: run llr-merge (or llr-dedupe --state) first, then decide the pairs its review.csv lists")
    }
    if fileSize(path) == 0 {
        throw DedupeFailure(description: "\(path) is empty: a decisions file starts with a header line naming the columns \(decisionColumns.joined(separator: ", "))")
    }
    var outcome = DecisionFileOutcome()
    var columns: [Int] = []
    var missing: [String] = []
    if let problem = CSVFileRows.read(path: path, header: { h in
        columns = CSVFileRows.columns(h, decisionColumns)
        missing = zip(decisionColumns, columns).filter { $0.1 < 0 && $0.0 != "note" }.map(\.0)
    }, row: { r in
        guard missing.isEmpty else { return }
        func cell(_ k: Int) -> String {
            columns[k] >= 0 && columns[k] < r.storedCount ? String(decoding: r.cell(columns[k]), as: UTF8.self).trimmingCharactersASCII() : ""
        }
        switch decision(cell, linked: linked, now: now) {
        case .success(let d): outcome.recorded.append(d)
        case .failure(let reason): outcome.refused.append((r.rowNumber, reason.description))
        }
    }) { throw DedupeFailure(description: problem) }
    if !missing.isEmpty {
        throw DedupeFailure(description: "\(path) has no column \(missing.joined(separator: ", ")); a decisions file has the columns \(decisionColumns.joined(separator: ", "))")
    }
    do { try state.record(outcome.recorded) } catch { throw DedupeFailure(description: "the decisions could not be saved: \(error)") }
    return outcome
}

struct DecisionProblem: Error, CustomStringConvertible { let description: String }

/// One row of a decisions file, checked (cells by their place in `decisionColumns`).
private func decision(_ cell: (Int) -> String, linked: LinkedRows, now: String) -> Result<ClericalDecision, DecisionProblem> {
    var rows: [Int] = []
    for (f, r) in [(0, 1), (2, 3)] {
        let file = cell(f), text = cell(r)
        guard let row = Int(text), row > 0 else {
            return .failure(DecisionProblem(description: "\(decisionColumns[r]) '\(text)' is not a row number"))
        }
        guard linked.contains(file: file, row: row) else {
            let known = linked.range(of: file).map { "its rows with a child run \($0.lowerBound)–\($0.upperBound)" } ?? "no such return is in the dataset"
            return .failure(DecisionProblem(description: "\(file.isEmpty ? "(no file)" : file) row \(row) is not a row the dataset links (\(known))"))
        }
        rows.append(row)
    }
    if cell(0) == cell(2) && rows[0] == rows[1] { return .failure(DecisionProblem(description: "the two rows are the same row")) }
    guard let verdict = ClericalDecision.Verdict(rawValue: cell(4).lowercased()) else {
        return .failure(DecisionProblem(description: "decision '\(cell(4))' is not match or non-match"))
    }
    let by = cell(5)
    if by.isEmpty { return .failure(DecisionProblem(description: "decided_by is empty: say who decided")) }
    return .success(ClericalDecision(fileA: cell(0), rowA: rows[0], fileB: cell(2), rowB: rows[1], verdict: verdict,
                                     decidedBy: by, decidedAt: now, note: cell(6)))
}
