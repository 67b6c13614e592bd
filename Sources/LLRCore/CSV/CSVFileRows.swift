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

    /// Reads `path`; `header` sees the column names first. Returns a message
    /// when the file is missing or unreadable.
    public static func read(path: String, header: @escaping ([String]) -> Void = { _ in }, row: @escaping (RecordView) -> Void) -> String? {
        let sink = CSVFileRows()
        sink.onHeader = header
        sink.body = row
        let stream: ReturnByteStream
        do { stream = try ReturnByteStream(path: path) } catch { return "\(path): \(error.message)" }
        let reader = CSVRecordReader()
        if let problem = reader.read(stream, into: sink) { return "\(path): \(problem.message)" }
        return nil
    }
}
