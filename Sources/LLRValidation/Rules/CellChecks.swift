import LLRCore

/// A schema field compiled for the row loop: its column in this file and its
/// constraints in byte form.
struct CompiledField {
    let name: String
    let type: FieldType
    let format: DateFormat?
    let required: Bool
    let codes: [[UInt8]]?
    let codesDisplay: String
    let pattern: BytePattern?
    let patternHint: String
    let minimum: Int64?
    let maximum: Int64?
    let maxLength: Int?
    /// 0-based column in the file, or -1 when the column is absent.
    var column = -1

    init(_ f: FieldDescriptor) {
        name = f.name
        type = f.type
        format = f.format
        required = f.constraints.required
        codes = f.constraints.enumValues.map { $0.map { Array($0.utf8) } }
        let list = f.constraints.enumValues ?? []
        codesDisplay = list.count <= 12 ? list.joined(separator: ", ") : list.prefix(12).joined(separator: ", ") + "… (\(list.count) codes)"
        pattern = f.constraints.pattern
        patternHint = f.description.isEmpty ? (f.constraints.pattern?.source ?? "") : f.description
        // A number's value is kept in thousandths, so its bounds are too.
        let scale: Int64 = f.type == .number ? numberScale : 1
        minimum = f.constraints.minimum.map { $0 * scale }
        maximum = f.constraints.maximum.map { $0 * scale }
        maxLength = f.constraints.maxLength
    }

}

/// The outcome of the type and constraint checks on one cell.
enum CellVerdict {
    case empty
    case ok(Int64)
    case problem(code: FindingCode, message: String)
}

extension CompiledField {
    /// Checks one trimmed, valid-UTF-8 cell against type and constraints.
    /// Messages are built only for failures.
    @inline(__always) func check(_ cell: UnsafeBufferPointer<UInt8>, pivotYear: Int) -> CellVerdict {
        if cell.count == 0 {
            return required ? .problem(code: .constraintError, message: "\(name) is required") : .empty
        }
        var value: Int64 = 0
        switch type {
        case .string: break
        case .integer:
            guard let v = parseInteger(cell) else {
                return .problem(code: .typeError, message: "\(name) '\(displayString(cell))' is not a whole number")
            }
            value = v
        case .number:
            guard let v = parseNumber(cell) else {
                let hint = cell.contains(UInt8(ascii: ",")) ? " (write it without thousands separators: 12235)" : ""
                return .problem(code: .typeError, message: "\(name) '\(displayString(cell))' is not a number\(hint)")
            }
            value = v
        case .date, .datetime:
            switch format!.parse(cell, pivotYear: pivotYear) {
            case .value(let v): value = v
            case .malformed:
                return .problem(code: .typeError, message: "\(name) '\(displayString(cell))' is not a \(type == .date ? "date" : "date and time") in the form \(format!.display)")
            case .notReal:
                return .problem(code: .typeError, message: "\(name) '\(displayString(cell))' is not a real \(type == .date ? "date" : "date and time") (\(format!.display))")
            }
        }
        if let codes, !codes.contains(where: { cell.equals($0) }) {
            var hint = ""
            let upper = cell.map(asciiUpper)
            if let match = codes.first(where: { $0 == upper }) { hint = " (codes are upper case: '\(String(decoding: match, as: UTF8.self))')" }
            return .problem(code: .constraintError, message: "\(name) '\(displayString(cell))' is not one of \(codesDisplay)\(hint)")
        }
        if let pattern, !pattern.matches(cell) {
            return .problem(code: .constraintError, message: "\(name) '\(displayString(cell))' is not in the expected form: \(patternHint)")
        }
        let shown = type == .number ? displayString(cell) : "\(value)", scale: Int64 = type == .number ? numberScale : 1
        if let minimum, value < minimum {
            return .problem(code: .constraintError, message: "\(name) \(shown) is below the minimum \(minimum / scale)")
        }
        if let maximum, value > maximum {
            return .problem(code: .constraintError, message: "\(name) \(shown) is above the maximum \(maximum / scale)")
        }
        if let maxLength, case let n = characterCount(cell), n > maxLength {
            return .problem(code: .constraintError, message: "\(name) is \(n) characters long; at most \(maxLength) are taken: shorten it")
        }
        return .ok(value)
    }
}

/// A number field's value is held in thousandths of a unit.
let numberScale: Int64 = 1000

/// A plain decimal (`12.5`, `-3`, `0.125`) in thousandths; nil when it is
/// not one or is too large to hold.
@inline(__always) func parseNumber(_ cell: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard let d = parseDecimal(cell), abs(d) < 9e14 else { return nil }
    return Int64((d * Double(numberScale)).rounded())
}

/// Characters in valid UTF-8: every byte but continuation bytes.
@inline(__always) func characterCount(_ cell: UnsafeBufferPointer<UInt8>) -> Int {
    var n = 0
    for b in cell where b & 0xC0 != 0x80 { n += 1 }
    return n
}

/// An optionally signed whole number of at most 18 digits.
