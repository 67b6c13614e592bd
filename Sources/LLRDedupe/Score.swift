import LLRCore

/// Pairwise precision and recall of a clustering against the truth: over
/// every pair of rows, is it in one predicted cluster, in one true cluster?
public struct PairScore: Sendable, Equatable {
    public var truePositives: Int
    public var predictedPairs: Int
    public var truePairs: Int
    public var precision: Double { predictedPairs == 0 ? 1 : Double(truePositives) / Double(predictedPairs) }
    public var recall: Double { truePairs == 0 ? 1 : Double(truePositives) / Double(truePairs) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    /// From (predicted, true) labels of each item; counts, not pair lists.
    public static func of(_ labels: [(String, String)]) -> PairScore {
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        var both: [String: Int] = [:], predicted: [String: Int] = [:], truth: [String: Int] = [:]
        for (p, t) in labels {
            both[p + "\u{0}" + t, default: 0] += 1
            predicted[p, default: 0] += 1
            truth[t, default: 0] += 1
        }
        return PairScore(truePositives: both.values.reduce(0) { $0 + pairs($1) },
                         predictedPairs: predicted.values.reduce(0) { $0 + pairs($1) },
                         truePairs: truth.values.reduce(0) { $0 + pairs($1) })
    }
}

public struct LinkageScore: Sendable {
    public var rows: Int
    public var unmatchedRows: Int
    public var persons: PairScore
    public var events: PairScore
}

/// Scores a lineage file against the generator's `truth/records.csv`, over
/// the rows that reached the dataset (kept or merged).
public func scoreLineage(truthPath: String, lineagePath: String) throws(DedupeFailure) -> LinkageScore {
    var truth: [String: (String, String)] = [:]
    var col: [String: Int] = [:]
    if let problem = CSVFileRows.read(path: truthPath, header: { h in for (i, c) in h.enumerated() { col[c] = i } }, row: { r in
        guard let f = col["file"], let n = col["rowNumber"], let p = col["person"], let e = col["event"], e < r.storedCount else { return }
        truth[String(decoding: r.cell(f), as: UTF8.self) + "#" + String(decoding: r.cell(n), as: UTF8.self)] =
            (String(decoding: r.cell(p), as: UTF8.self), String(decoding: r.cell(e), as: UTF8.self))
    }) { throw DedupeFailure(description: problem) }
    if truth.isEmpty { throw DedupeFailure(description: "\(truthPath) holds no rows with file, rowNumber, person and event columns") }
    var persons: [(String, String)] = [], events: [(String, String)] = []
    var rows = 0, unmatched = 0
    var lcol: [String: Int] = [:]
    if let problem = CSVFileRows.read(path: lineagePath, header: { h in for (i, c) in h.enumerated() { lcol[c] = i } }, row: { r in
        guard let f = lcol["source_file"], let n = lcol["source_row"], let s = lcol["status"], let e = lcol["llr_event_id"],
              let p = lcol["llr_person_id"], p < r.storedCount else { return }
        let status = String(decoding: r.cell(s), as: UTF8.self)
        guard status == "kept" || status == "merged" else { return }
        rows += 1
        guard let t = truth[String(decoding: r.cell(f), as: UTF8.self) + "#" + String(decoding: r.cell(n), as: UTF8.self)] else {
            unmatched += 1
            return
        }
        persons.append((String(decoding: r.cell(p), as: UTF8.self), t.0))
        events.append((String(decoding: r.cell(e), as: UTF8.self), t.1))
    }) { throw DedupeFailure(description: problem) }
    return LinkageScore(rows: rows, unmatchedRows: unmatched, persons: .of(persons), events: .of(events))
}
