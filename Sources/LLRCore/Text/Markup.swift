/// Builds JSON text by hand, keys in the order written (reports read top
/// to bottom in the order the spec gives).
public struct JSONWriter {
    public var out = ""

    public init() {}

    public mutating func key(_ k: String) { string(k); out += ": " }

    public mutating func optional(_ s: String?) {
        if let s { string(s) } else { out += "null" }
    }

    public mutating func string(_ s: String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

/// Text made safe inside HTML (and SVG) elements and attribute values.
public func htmlEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// Lowercase hex of some bytes (a digest, a MAC), written straight into the String.
public func hexString(_ bytes: UnsafeRawBufferPointer) -> String {
    String(unsafeUninitializedCapacity: 2 * bytes.count) { out in
        hexDigits.withUnsafeBufferPointer { hex in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = hex[Int(b >> 4)]
                out[2 * i + 1] = hex[Int(b & 15)]
            }
        }
        return 2 * bytes.count
    }
}

/// Lowercase hex of some bytes appended to `out` (ids written straight into a row buffer).
public func appendHex(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    hexDigits.withUnsafeBufferPointer { hex in
        for b in bytes {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
