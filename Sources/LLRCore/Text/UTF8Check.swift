/// UTF-8 validity of a cell. Partner exports from old systems are often
/// Windows-1252 or Latin-1; those bytes are invalid UTF-8 and are reported
/// at the cell where they occur.
public enum UTF8Check {
    /// True when every byte is ASCII; checks eight bytes per step.
    @inline(__always) public static func isASCII(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n {
            if p[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// Offset of the first byte that breaks UTF-8, or nil when valid.
    public static func firstInvalid(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            let minCode: UInt32
            var code: UInt32
            if b & 0xE0 == 0xC0 { need = 1; code = UInt32(b & 0x1F); minCode = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; code = UInt32(b & 0x0F); minCode = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; code = UInt32(b & 0x07); minCode = 0x10000 }
            else { return i }
            if i + need >= n { return i }
            for k in 1...need {
                let c = p[i + k]
                if c & 0xC0 != 0x80 { return i }
                code = (code << 6) | UInt32(c & 0x3F)
            }
            if code < minCode || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF) { return i }
            i += need + 1
        }
        return nil
    }

    public static func isValid(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = b.baseAddress else { return true }
        return isASCII(p, b.count) || firstInvalid(p, b.count) == nil
    }
}

/// Renders possibly-invalid bytes for a report: valid UTF-8 as is, each
/// invalid byte as U+FFFD, and very long values cut with an ellipsis.
public func displayString(_ b: UnsafeBufferPointer<UInt8>, limit: Int = 200) -> String {
    let cut = b.count > limit ? UnsafeBufferPointer(rebasing: b[0..<limit]) : b
    var s = String(decoding: cut, as: UTF8.self)
    if b.count > limit { s += "… (\(b.count) bytes)" }
    return s
}
