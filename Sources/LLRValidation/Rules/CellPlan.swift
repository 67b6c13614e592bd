import LLRCore

/// The row loop's form of a field's type and constraint checks: only
/// pointers and numbers, so reading it costs no reference counting. It only
/// answers pass or fail; on a fail, `CompiledField.check` runs again to say
/// why, so every message is written in one place.
struct CellPlan {
    enum Kind: UInt8 { case string, integer, fixedDate, anyDate }
    var kind: Kind
    var required: Bool
    var parts: UnsafeBufferPointer<DateFormat.Part>
    var codeBytes: UnsafePointer<UInt8>?
    var codeEnds: UnsafeBufferPointer<Int>
    var hasPattern: Bool
    /// The pattern's automaton: byte classes, transitions, accepting states.
    var classOf: UnsafePointer<UInt8>?
    var classCount: Int
    var transitions: UnsafePointer<Int32>?
    var accepting: UnsafePointer<Bool>?
    /// A pattern too large for an automaton: left to the full checker.
    var patternNeedsFullCheck: Bool
    var minimum: Int64
    var maximum: Int64

    enum Verdict { case empty, ok(Int64), fail }

    @inline(__always) func check(_ cell: UnsafeBufferPointer<UInt8>, pivotYear: Int) -> Verdict {
        if cell.count == 0 { return required ? .fail : .empty }
        var value: Int64 = 0
        switch kind {
        case .string: break
        case .integer:
            guard let v = parseInteger(cell) else { return .fail }
            value = v
        case .fixedDate:
            guard case .value(let v) = DateFormat.parse(parts: parts, cell) else { return .fail }
            value = v
        case .anyDate:
            guard case .value(let v) = DateFormat.parseAny(cell, pivotYear: pivotYear) else { return .fail }
            value = v
        }
        if let codeBytes {
            var start = 0
            var found = false
            let n = cell.count
            for end in codeEnds {
                if end - start == n {
                    var k = 0
                    while k < n && codeBytes[start + k] == cell[k] { k += 1 }
                    if k == n { found = true; break }
                }
                start = end
            }
            if !found { return .fail }
        }
        if hasPattern {
            if patternNeedsFullCheck { return .fail }
            if !PatternDFA.matches(classOf: classOf!, classCount: classCount, next: transitions!, accepting: accepting!, cell) { return .fail }
        }
        if value < minimum || value > maximum { return .fail }
        return .ok(value)
    }
}

/// Owns the memory the plans point into.
final class CellPlans {
    let plans: UnsafeMutablePointer<CellPlan>
    let count: Int
    private var blocks: [UnsafeMutableRawPointer] = []

    init(_ fields: [CompiledField]) {
        count = fields.count
        plans = .allocate(capacity: max(1, fields.count))
        for (i, f) in fields.enumerated() {
            let kind: CellPlan.Kind
            switch f.type {
            case .string: kind = .string
            case .integer: kind = .integer
            case .date, .datetime: kind = f.format!.isAny ? .anyDate : .fixedDate
            }
            let parts = copy(f.format?.parts ?? [])
            var bytes: [UInt8] = []
            var ends: [Int] = []
            for c in f.codes ?? [] {
                bytes += c
                ends.append(bytes.count)
            }
            let codeBytes = f.codes == nil ? nil : UnsafePointer(copy(bytes.isEmpty ? [0] : bytes).baseAddress)
            let dfa = f.pattern?.dfa
            plans[i] = CellPlan(
                kind: kind, required: f.required, parts: parts, codeBytes: codeBytes, codeEnds: copy(ends),
                hasPattern: f.pattern != nil,
                classOf: dfa.map { copy($0.classOf).baseAddress! }, classCount: dfa?.classCount ?? 0,
                transitions: dfa.map { copy($0.next).baseAddress! }, accepting: dfa.map { copy($0.accepting).baseAddress! },
                patternNeedsFullCheck: f.pattern != nil && dfa == nil,
                minimum: f.minimum ?? .min, maximum: f.maximum ?? .max)
        }
    }

    private func copy<T>(_ a: [T]) -> UnsafeBufferPointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
        p.initialize(from: a, count: a.count)
        blocks.append(UnsafeMutableRawPointer(p))
        return UnsafeBufferPointer(start: p, count: a.count)
    }

    deinit {
        for b in blocks { b.deallocate() }
        plans.deallocate()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
