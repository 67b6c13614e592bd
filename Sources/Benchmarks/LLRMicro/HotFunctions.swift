// Micro-benchmarks of the hot functions every row goes through, with
// ordo-one/benchmark (wall time, throughput, allocations per call):
//   make microbench    (swift package --disable-sandbox benchmark --target LLRMicro)
// The stage-level suite is llr-bench; these show where a row's time goes.

import Benchmark
import LLRCore
import LLRDedupe
import LLRValidation

/// Bytes that stay alive for the whole run, read through a buffer pointer.
final class Fixture: @unchecked Sendable {
    let bytes: [UInt8]
    init(_ s: String) { bytes = Array(s.utf8) }
    func withBuffer<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { bytes.withUnsafeBufferPointer(body) }
}

/// A ByteSource over one in-memory CSV text, read again and again.
final class MemorySource: ByteSource {
    let text: [UInt8]
    var offset = 0
    init(_ t: [UInt8]) { text = t }
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(SourceProblem) -> Int {
        let n = min(capacity, text.count - offset)
        text.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + offset, count: n) }
        offset += n
        return n
    }
}

final class CountingSink: RecordSink {
    var cells = 0
    func consume(_ r: RecordView) { cells += r.storedCount }
}

let dateCells = ["03/04/2024 11:58", "31/12/2023 00:00", "15/07/2024 23:59", "29/02/2024 08:30"].map(Fixture.init)
let nhsCells = ["9434765919", "943 476 5919", "9434765870", "1234567890"].map(Fixture.init)
let namePairs = [("AMELIA", "AMELIE"), ("MOHAMMED", "MUHAMMAD"), ("KOWALSKI", "KOWALSKY"), ("OLIVER", "OLIVIA")].map { (Fixture($0.0), Fixture($0.1)) }
/// Every row with a quoted cell: read by libcsv.
let csvText: [UInt8] = {
    var s = "event_id,nhs_number,forename,surname,dob,postcode,event_date\n"
    for i in 0..<1000 { s += "E-\(100000 + i),9434765919,\"O'Neill, Amelia\",SMITH-JONES,03/04/2015,LE1 6ZG,2024-05-01T11:58\n" }
    return Array(s.utf8)
}()

/// The same rows without quotes, as most rows come: split by the reader itself.
let plainCSVText: [UInt8] = {
    var s = "event_id,nhs_number,forename,surname,dob,postcode,event_date\n"
    for i in 0..<1000 { s += "E-\(100000 + i),9434765919,Amelia O'Neill,SMITH-JONES,03/04/2015,LE1 6ZG,2024-05-01T11:58\n" }
    return Array(s.utf8)
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    let format = try! DateFormat("%d/%m/%Y %H:%M")

    Benchmark("date parsing: dd/mm/yyyy HH:MM (4 cells)") { benchmark in
        for _ in benchmark.scaledIterations {
            for cell in dateCells { blackHole(cell.withBuffer { format.parse($0) }) }
        }
    }

    Benchmark("NHS number check (4 cells)") { benchmark in
        for _ in benchmark.scaledIterations {
            for cell in nhsCells { blackHole(cell.withBuffer { NHSNumber.check($0) }) }
        }
    }

    Benchmark("Jaro-Winkler (4 name pairs)") { benchmark in
        for _ in benchmark.scaledIterations {
            for (a, b) in namePairs { blackHole(a.withBuffer { x in b.withBuffer { y in jaroWinkler(x, y) } }) }
        }
    }

    Benchmark("CSV field scanning: 1,000 quoted rows × 7 cells through libcsv and the record reader", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            let sink = CountingSink()
            _ = CSVRecordReader().read(MemorySource(csvText), into: sink)
            blackHole(sink.cells)
        }
    }

    Benchmark("CSV field scanning: 1,000 quote-free rows × 7 cells through the reader's own splitter", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            let sink = CountingSink()
            _ = CSVRecordReader().read(MemorySource(plainCSVText), into: sink)
            blackHole(sink.cells)
        }
    }
}
