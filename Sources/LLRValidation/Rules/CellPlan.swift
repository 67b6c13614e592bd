import LLRCore

/// The row loop's form of a field's type and constraint checks: only
/// pointers and numbers, so reading it costs no reference counting. It only
/// answers pass or fail; on a fail, `CompiledField.check` runs again to say
/// why, so every message is written in one place.
struct CellPlan {
    enum Kind: UInt8 { case string, integer, number, fixedDate, anyDate }
    var kind: Kind
    var required: Bool
    var parts: UnsafeBufferPointer<DateFormat.Part>
    /// The same layout read by position when a cell has its full width.
    var fixedWidth: FixedWidthLayout
    var codeBytes: UnsafePointer<UInt8>?
    var codeEnds: UnsafeBufferPointer<Int>
    /// Open-addressing table of code numbers + 1 (0 empty), by `codeSlot`.
    var codeTable: UnsafePointer<Int32>?
    var codeMask: Int
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
    var maxLength: Int
    /// Text with no code list, pattern or bounds: any non-empty cell passes,
    /// which the row loop settles without calling `check`.
    var acceptsAnyText = false

    enum Verdict { case empty, ok(Int64), fail }

    /// Where a code sits in the table: from its length and first and last bytes.
    @inline(__always) static func codeSlot(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        guard n > 0 else { return 0 }
        return (n &* 7) ^ (Int(p[0]) &* 31) ^ (Int(p[n - 1]) &* 131)
    }

    /// Checks `cell` against the plan at `plan`, read in place: a method on
    /// the struct copied all of it to the stack for every cell.
    @inline(__always) static func check(_ plan: UnsafePointer<CellPlan>, _ cell: UnsafeBufferPointer<UInt8>, pivotYear: Int) -> Verdict {
        if cell.count == 0 { return plan.pointee.required ? .fail : .empty }
        var value: Int64 = 0
        switch plan.pointee.kind {
        case .string: break
        case .integer:
            guard let v = parseInteger(cell) else { return .fail }
            value = v
        case .number:
            guard let v = parseNumber(cell) else { return .fail }
            value = v
        case .fixedDate:
            guard case .value(let v) = DateFormat.parse(parts: plan.pointee.parts, fixedWidth: plan.pointee.fixedWidth, cell) else { return .fail }
            value = v
        case .anyDate:
            guard case .value(let v) = DateFormat.parseAny(cell, pivotYear: pivotYear) else { return .fail }
            value = v
        }
        if let codeBytes = plan.pointee.codeBytes, let codeTable = plan.pointee.codeTable {
            let n = cell.count
            let codeEnds = plan.pointee.codeEnds, codeMask = plan.pointee.codeMask
            var slot = CellPlan.codeSlot(cell.baseAddress!, n) & codeMask
            var found = false
            while true {
                let e = Int(codeTable[slot])
                if e == 0 { break }
                let start = e == 1 ? 0 : codeEnds[e - 2], end = codeEnds[e - 1]
                if end - start == n {
                    var k = 0
                    while k < n && codeBytes[start + k] == cell[k] { k += 1 }
                    if k == n { found = true; break }
                }
                slot = (slot + 1) & codeMask
            }
            if !found { return .fail }
        }
        if plan.pointee.hasPattern {
            if plan.pointee.patternNeedsFullCheck { return .fail }
            if !PatternDFA.matches(classOf: plan.pointee.classOf!, classCount: plan.pointee.classCount, next: plan.pointee.transitions!,
                                   accepting: plan.pointee.accepting!, cell) { return .fail }
        }
        if value < plan.pointee.minimum || value > plan.pointee.maximum { return .fail }
        if cell.count > plan.pointee.maxLength && characterCount(cell) > plan.pointee.maxLength { return .fail }
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
            case .number: kind = .number
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
            var tableSize = 16
            while tableSize < (f.codes?.count ?? 0) * 4 { tableSize <<= 1 }
            var table = [Int32](repeating: 0, count: tableSize)
            for (k, c) in (f.codes ?? []).enumerated() {
                var slot = c.withUnsafeBufferPointer { c.isEmpty ? 0 : CellPlan.codeSlot($0.baseAddress!, $0.count) } & (tableSize - 1)
                while table[slot] != 0 { slot = (slot + 1) & (tableSize - 1) }
                table[slot] = Int32(k + 1)
            }
            let dfa = f.pattern?.dfa
            plans[i] = CellPlan(
                kind: kind, required: f.required, parts: parts, fixedWidth: f.format?.fixedWidth ?? FixedWidthLayout([]), codeBytes: codeBytes, codeEnds: copy(ends),
                codeTable: f.codes == nil ? nil : UnsafePointer(copy(table).baseAddress), codeMask: tableSize - 1,
                hasPattern: f.pattern != nil,
                classOf: dfa.map { copy($0.classOf).baseAddress! }, classCount: dfa?.classCount ?? 0,
                transitions: dfa.map { copy($0.next).baseAddress! }, accepting: dfa.map { copy($0.accepting).baseAddress! },
                patternNeedsFullCheck: f.pattern != nil && dfa == nil,
                minimum: f.minimum ?? .min, maximum: f.maximum ?? .max, maxLength: f.maxLength ?? .max)
            plans[i].acceptsAnyText = kind == .string && f.codes == nil && f.pattern == nil && f.minimum == nil && f.maximum == nil && f.maxLength == nil
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
