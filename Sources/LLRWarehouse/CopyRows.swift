import Dispatch
import LLRCore

/// A dataset file as the rows of PostgreSQL's COPY text format, in chunks
/// of about a megabyte, made on a thread of their own while the connection
/// sends the one before; at most four chunks wait, so memory stays flat
/// whatever the file's size.
final class CopyRows: @unchecked Sendable {
    let path: String
    /// Per column of the file: whether an empty cell is NULL (any type but text).
    private var emptyIsNull: [Bool] = []
    /// Rows handed on so far (all of them once `chunks` has ended).
    private(set) var rowCount = 0
    private let slots = DispatchSemaphore(value: 4)
    private let stopped = Locked(false)
    let chunks: AsyncStream<Result<[UInt8], WarehouseFailure>>
    private let sink: AsyncStream<Result<[UInt8], WarehouseFailure>>.Continuation

    init(path: String) {
        self.path = path
        (chunks, sink) = AsyncStream.makeStream(of: Result<[UInt8], WarehouseFailure>.self)
    }

    /// The file's column names (its first line; the pipeline writes them unquoted).
    static func header(of path: String) throws(WarehouseFailure) -> [String] {
        let stream: ReturnByteStream
        do throws(SourceProblem) { stream = try ReturnByteStream(path: path) } catch { throw WarehouseFailure("\(path) cannot be read: \(error.message)") }
        var bytes = [UInt8](repeating: 0, count: 65536)
        let n: Int
        do { n = try bytes.withUnsafeMutableBufferPointer { try stream.read(into: $0.baseAddress!, capacity: $0.count) } } catch {
            throw WarehouseFailure("\(path) cannot be read: \(error)")
        }
        let line = bytes[0..<n].prefix { $0 != 0x0A && $0 != 0x0D }
        guard !line.isEmpty else { throw WarehouseFailure("\(path) has no header") }
        return String(decoding: line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map { $0.replacingOccurrences(of: "\"", with: "") }
    }

    /// Starts reading; `nullable` says, per column, whether empty is NULL.
    func start(nullable: [Bool]) {
        emptyIsNull = nullable
        DispatchQueue.global().async { self.produce() }
    }

    /// The consumer is done with a chunk (or gone): the reader may go on.
    func taken() { slots.signal() }

    func stop() {
        stopped.value = true
        for _ in 0..<8 { slots.signal() }
    }

    private func produce() {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 65536)
        let width = emptyIsNull.count
        let problem = CSVFileRows.read(path: path, header: { _ in }) { row in
            guard !stopped.value else { return }
            for i in 0..<width {
                if i > 0 { buffer.append(0x09) }
                let cell = i < row.storedCount ? row.cell(i) : UnsafeBufferPointer(start: nil, count: 0)
                if cell.isEmpty && emptyIsNull[i] { buffer.append(0x5C); buffer.append(0x4E); continue }
                for b in cell {
                    switch b {
                    case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
                    case 0x09: buffer.append(0x5C); buffer.append(0x74)
                    case 0x0A: buffer.append(0x5C); buffer.append(0x6E)
                    case 0x0D: buffer.append(0x5C); buffer.append(0x72)
                    default: buffer.append(b)
                    }
                }
            }
            buffer.append(0x0A)
            rowCount += 1
            if buffer.count >= 1 << 20 { hand(&buffer) }
        }
        if let problem { sink.yield(.failure(WarehouseFailure("\(path) cannot be read: \(problem)"))) }
        else if !buffer.isEmpty { hand(&buffer) }
        sink.finish()
    }

    private func hand(_ buffer: inout [UInt8]) {
        slots.wait()
        guard !stopped.value else { return }
        sink.yield(.success(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
