import Foundation
import LLRCore

/// The measures as perfect linkage would give them, for synthetic data
/// with its truth (`llr-synth`'s `truth/records.csv`): the dataset's own
/// events, each child and each real event as the truth says. The rows,
/// their dates and places are the pipeline's, so a gap between these
/// figures and the dataset's can only come from linkage (children joined or
/// split wrongly, one agency's episode matched to another's or not).
public enum LinkageTruth {
    /// Events.csv as perfect linkage would have written it, into `path`.
    public static func writeTruthEvents(dataset: String, truth: String, to path: String) throws(MeasureFailure) {
        let truthOf = try readTruth(truth)
        // Each dataset event's real events and children, in lineage order.
        var realOf: [String: [(person: String, event: String)]] = [:]
        var cols: [Int] = []
        let lineageProblem = CSVFileRows.read(path: dataset + "/lineage.csv.gz", header: {
            cols = CSVFileRows.columns($0, ["source_file", "source_row", "status", "llr_event_id"])
        }) { row in
            guard !cols.contains(-1), row.storedCount > cols.max()! else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(cols[k]), as: UTF8.self) }
            guard ["kept", "merged"].contains(text(2)), let real = truthOf[text(0) + "|" + text(1)] else { return }
            if !(realOf[text(3)]?.contains { $0.event == real.event } ?? false) { realOf[text(3), default: []].append(real) }
        }
        if let lineageProblem { throw MeasureFailure("cannot read the lineage: \(lineageProblem)") }
        try writeEvents(dataset: dataset, realOf: realOf, to: path)
    }

    /// (file|row) → the row's real child and event.
    static func readTruth(_ path: String) throws(MeasureFailure) -> [String: (person: String, event: String)] {
        var out: [String: (String, String)] = [:]
        var cols: [Int] = []
        let problem = CSVFileRows.read(path: path, header: { cols = CSVFileRows.columns($0, ["file", "rowNumber", "person", "event"]) }) { row in
            guard !cols.contains(-1), row.storedCount > cols.max()! else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(cols[k]), as: UTF8.self) }
            out[text(0) + "|" + text(1)] = (text(2), text(3))
        }
        if let problem { throw MeasureFailure("cannot read the truth \(path): \(problem)") }
        if cols.contains(-1) { throw MeasureFailure("\(path) is not a truth file (file, rowNumber, person, event)") }
        return out
    }

    /// One row per real event: the data of the first dataset event that
    /// holds it, with the sources of every one that does, under the real
    /// child and event.
    static func writeEvents(dataset: String, realOf: [String: [(person: String, event: String)]], to path: String) throws(MeasureFailure) {
        var rows: [String: [String]] = [:], order: [String] = []
        var cols: [Int] = []
        let problem = CSVFileRows.read(path: dataset + "/events.csv.gz", header: {
            cols = CSVFileRows.columns($0, ["llr_event_id", "event_type", "event_start", "event_end", "la_code", "sources"])
        }) { row in
            guard !cols.contains(-1), row.storedCount > cols.max()! else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(cols[k]), as: UTF8.self) }
            for real in realOf[text(0)] ?? [] {
                if var known = rows[real.event] {
                    known[6] = Set((known[6] + ";" + text(5)).split(separator: ";").map(String.init)).sorted().joined(separator: ";")
                    rows[real.event] = known
                } else {
                    rows[real.event] = ["T" + real.event, "P" + real.person, text(1), text(2), text(3), text(4), text(5)]
                    order.append(real.event)
                }
            }
        }
        if let problem { throw MeasureFailure("cannot read the events: \(problem)") }
        var text = "llr_event_id,llr_person_id,event_type,event_start,event_end,la_code,sources\n"
        for e in order { text += rows[e]!.joined(separator: ",") + "\n" }
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) } catch { throw MeasureFailure("cannot write \(path): \(error)") }
    }

    /// Figures of the same measure, quarter and area whose numerators differ,
    /// largest gap first.
    public static func gaps(_ computed: [MeasureFigure], _ truth: [MeasureFigure]) -> [(figure: MeasureFigure, truth: Int, gap: Int)] {
        var byKey: [String: MeasureFigure] = [:]
        for f in truth { byKey[f.key] = f }
        var out: [(MeasureFigure, Int, Int)] = []
        for f in computed {
            guard let t = byKey[f.key], let n = f.numerator, let tn = t.numerator, n != tn else { continue }
            out.append((f, tn, n - tn))
        }
        return out.sorted { (abs($0.2), $0.0.measure) > (abs($1.2), $1.0.measure) }
    }
}
