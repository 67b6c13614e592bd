import LLRCore

/// Writes a small table built in memory (indicators, quality, measures): gzip or
/// plain CSV by `gzip`, formula-like cells escaped, renamed into place.
public func writeTable(path: String, header: [String], gzip: Bool, count: Int,
                _ fill: (Int, inout CSVRowBuilder) -> Void) throws(OutputError) {
    let out = try CSVOutput(path: path, header: header, level: 6, compressed: gzip)
    for i in 0..<count { try out.writeRow { fill(i, &$0) } }
    try out.commit()
}
