import LLRCore

/// Writes a small table built in memory (indicators, quality): gzip or
/// plain CSV by `gzip`, formula-like cells escaped, renamed into place.
func writeTable(path: String, header: [String], gzip: Bool, count: Int,
                _ fill: (Int, inout CSVRowBuilder) -> Void) throws(OutputError) {
    let out = try CSVOutput(path: path, header: header, level: 6, compressed: gzip)
    for i in 0..<count { try out.writeRow { fill(i, &$0) } }
    try out.commit()
}

/// Inflates a `.csv.gz` the pipeline wrote into a plain `.csv` (the
/// published copies analysts open): the cells were escaped when written.
func inflateCopy(from: String, to: String) throws(MergeFailure) {
    do {
        let source = try ReturnByteStream(path: from)
        let out = try AtomicOutputFile(path: to)
        let size = 1 << 18
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer, capacity: size)
            if n == 0 { break }
            try out.write(buffer, n)
        }
        try out.commit()
    } catch let e as SourceProblem {
        throw MergeFailure("cannot read \(from): \(e.message)")
    } catch let e as OutputError {
        throw MergeFailure(e.description)
    } catch {
        throw MergeFailure("\(error)")
    }
}
