import LLRCore

/// One row's cells, in llr-synth's column order, built as bytes in a buffer
/// reused from row to row (no String or array per cell). An injected error
/// is an override on top, so the clean row stays available for a
/// resubmission that corrects it.
struct RowCells {
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []
    private(set) var overrides: [(Int, String)] = []
    var extraCell = false

    init() {
        bytes.reserveCapacity(1024)
        ends.reserveCapacity(32)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        if !overrides.isEmpty { overrides.removeAll(keepingCapacity: true) }
        extraCell = false
    }

    var count: Int { ends.count }

    mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
        ends.append(bytes.count)
    }

    mutating func add(_ prefix: StaticString, _ n: Int) {
        prefix.withUTF8Buffer { bytes.append(contentsOf: $0) }
        appendDigits(n, to: &bytes)
        ends.append(bytes.count)
    }

    mutating func add(_ prefix: String, _ n: Int) {
        var p = prefix
        p.withUTF8 { bytes.append(contentsOf: $0) }
        appendDigits(n, to: &bytes)
        ends.append(bytes.count)
    }

    mutating func add(_ n: Int) {
        appendDigits(n, to: &bytes)
        ends.append(bytes.count)
    }

    mutating func addEmpty() { ends.append(bytes.count) }

    /// Replaces cell `i` in the spoiled version of the row.
    mutating func override(_ i: Int, _ value: String) { overrides.append((i, value)) }

    /// The clean text of cell `i`.
    func cell(_ i: Int) -> String {
        let start = i == 0 ? 0 : ends[i - 1]
        return String(decoding: bytes[start..<ends[i]], as: UTF8.self)
    }

    /// Cell `i` as written: clean, or with its override when `spoiled`.
    func withCell<T>(_ i: Int, spoiled: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if spoiled, let o = overrides.last(where: { $0.0 == i }) {
            var s = o.1
            return s.withUTF8(body)
        }
        let start = i == 0 ? 0 : ends[i - 1]
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<ends[i]])) }
    }
}
