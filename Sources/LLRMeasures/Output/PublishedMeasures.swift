import LLRCore

/// The measures as first published, kept in the state folder from night to
/// night, so that a figure for a quarter already reported that changes (late
/// data, a resubmission) is marked revised, with the value first published.
public struct PublishedMeasures: Sendable {
    /// measure|financial_year|quarter|area → the value as first published.
    public private(set) var first: [String: String] = [:]

    public init() {}

    /// The state's file; none yet is an empty history.
    public static func read(path: String) throws(MeasureFailure) -> PublishedMeasures {
        var out = PublishedMeasures()
        guard fileExists(path) else { return out }
        var cols: [Int] = []
        let problem = CSVFileRows.read(path: path, header: { cols = CSVFileRows.columns($0, ["key", "value"]) }) { row in
            guard !cols.contains(-1), row.storedCount > cols.max()! else { return }
            out.first[String(decoding: row.cell(cols[0]), as: UTF8.self)] = String(decoding: row.cell(cols[1]), as: UTF8.self)
        }
        if let problem { throw MeasureFailure("the published measures in the state (\(path)) cannot be read: \(problem); restore it from the last backup of the state folder") }
        return out
    }

    /// Marks each figure published before whose value has changed since, and
    /// adds tonight's new figures to the history.
    public mutating func mark(_ figures: inout [MeasureFigure]) {
        for i in figures.indices {
            let k = figures[i].key, now = MeasureTables.text(figures[i].value, figures[i].unit)
            guard let before = first[k] else { first[k] = now; continue }
            if before != now {
                figures[i].revised = true
                figures[i].firstPublished = Double(before)
            }
        }
    }

    /// Written under a temporary name and renamed, in key order.
    public func write(path: String) throws(OutputError) {
        let keys = first.keys.sorted()
        try writeTable(path: path, header: ["key", "value"], gzip: true, count: keys.count) { i, w in
            w.add(keys[i]); w.add(first[keys[i]]!)
        }
    }
}
