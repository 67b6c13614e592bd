/// Reads a CSV or CSV.gz file with a header row, calling `row` for every
/// data row with the cell lookup by column name resolved once. For files the
/// pipeline wrote itself (normalised returns, truth files, state exports);
/// partner returns go through the validator.
public final class CSVFileRows: RecordSink {
    public private(set) var header: [String] = []
    private var body: ((RecordView) -> Void)?
    private var onHeader: (([String]) -> Void)?

    public init() {}

    public func consume(_ record: RecordView) {
        if record.rowNumber == 1 {
            header = (0..<record.storedCount).map { String(decoding: record.cell($0), as: UTF8.self) }
            onHeader?(header)
            return
        }
        if record.isBlank { return }
        body?(record)
    }

    /// Where each of `names` is in `header` (-1 when absent): for a reader
    /// that finds its columns once, from the header, not by name per row.
    public static func columns(_ header: [String], _ names: [String]) -> [Int] {
        names.map { n in header.firstIndex(of: n) ?? -1 }
    }

    /// How far a row must reach to hold all of `columns`: Int.max when one
    /// is absent, so that no row does.
    public static func lastColumn(_ columns: [Int]) -> Int {
        columns.contains(-1) ? Int.max : columns.max() ?? Int.max
    }

    /// Reads `path`; `header` sees the column names first. Returns a message
    /// when the file is missing or unreadable.
    /// The closures do not escape, so what they capture (a caller's
    /// struct, its locals) is checked for exclusive access when compiled.
    /// With `readAhead`, the file is inflated on a second worker while this
    /// thread parses (for a reader whose rows cost more than their reading).
    public static func read(path: String, readAhead: Bool = false, header: ([String]) -> Void = { _ in }, row: (RecordView) -> Void) -> String? {
        withoutActuallyEscaping(header) { header in
            withoutActuallyEscaping(row) { row in
                let sink = CSVFileRows()
                sink.onHeader = header
                sink.body = row
                defer {
                    sink.onHeader = nil
                    sink.body = nil
                }
                let stream: ReturnByteStream
                do throws(SourceProblem) { stream = try ReturnByteStream(path: path) } catch { return "\(path): \(error.message)" }
                let reader = CSVRecordReader()
                if readAhead {
                    let ahead = ReadAheadSource(stream)
                    defer { ahead.stop() }
                    if let problem = reader.read(ahead, into: sink) { return "\(path): \(problem.message)" }
                } else if let problem = reader.read(stream, into: sink) {
                    return "\(path): \(problem.message)"
                }
                return nil
            }
        }
    }
}
