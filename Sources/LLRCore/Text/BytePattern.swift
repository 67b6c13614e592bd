/// The regular-expression subset that `constraints.pattern` uses in
/// `Pipelines/`: literals, `.`, classes (`[A-Z0-9]`, `[^,]`), `\d`, `\s`,
/// `\w`, groups with `|`, and the quantifiers `? * + {n} {n,m}`. Patterns
/// match the whole cell, as Frictionless patterns do. Compiled once, run on
/// bytes with backtracking; no Foundation regex in the hot loop.
public struct BytePattern: Sendable {
    indirect enum Node: Sendable {
        case byteSet(ByteSet)
        case sequence([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int)
    }

    public let source: String
    let root: Node
    /// Most patterns are a flat run of classes with quantifiers; those take
    /// a faster matcher with no closures.
    let flat: [FlatToken]?
    /// The same pattern as a deterministic automaton, when small enough (it almost always is).
    public let dfa: PatternDFA?

    struct FlatToken: Sendable { var set: ByteSet; var min: Int; var max: Int }

    public init(_ source: String, caseInsensitive: Bool = false) throws(PatternError) {
        self.source = source
        var parser = Parser(bytes: Array(source.utf8), caseInsensitive: caseInsensitive)
        let node = try parser.parseAlternation()
        if parser.i != parser.bytes.count { throw PatternError("unexpected ')' at \(parser.i) in pattern \"\(source)\"") }
        root = node
        flat = BytePattern.flatten(node)
        dfa = PatternDFA(node)
    }

    static func flatten(_ node: Node) -> [FlatToken]? {
        guard case .sequence(let items) = node else { return nil }
        var out: [FlatToken] = []
        for item in items {
            switch item {
            case .byteSet(let s): out.append(FlatToken(set: s, min: 1, max: 1))
            case .repeated(.byteSet(let s), let lo, let hi): out.append(FlatToken(set: s, min: lo, max: hi))
            case .sequence(let inner) where inner.isEmpty: continue
            default: return nil
            }
        }
        return out
    }

    public func matches(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if let dfa { return dfa.matches(b) }
        if let flat {
            var steps = 0
            return flat.withUnsafeBufferPointer { BytePattern.matchFlat($0, 0, b, 0, &steps) }
        }
        return BytePattern.match(root, b, 0, StepBudget()) { $0 == b.count }
    }

    /// Bounds backtracking so a hostile cell cannot hang the run.
    final class StepBudget {
        var steps = 0
        func spend() -> Bool { steps += 1; return steps <= 100_000 }
    }

    static func matchFlat(_ t: UnsafeBufferPointer<FlatToken>, _ ti: Int, _ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ steps: inout Int) -> Bool {
        if ti == t.count { return i == b.count }
        steps += 1
        if steps > 100_000 { return false }
        let tok = t[ti]
        var j = i
        var c = 0
        while c < tok.max && j < b.count && tok.set.contains(b[j]) { j += 1; c += 1 }
        if c < tok.min { return false }
        while true {
            if matchFlat(t, ti + 1, b, j, &steps) { return true }
            if c == tok.min { return false }
            j -= 1
            c -= 1
        }
    }

    public func matches(_ s: String) -> Bool {
        var a = Array(s.utf8)
        return a.withUnsafeMutableBufferPointer { matches(UnsafeBufferPointer($0)) }
    }

    /// Continuation-passing backtracking for patterns with groups or alternation.
    static func match(_ node: Node, _ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ budget: StepBudget, _ k: (Int) -> Bool) -> Bool {
        guard budget.spend() else { return false }
        switch node {
        case .byteSet(let set):
            return i < b.count && set.contains(b[i]) && k(i + 1)
        case .sequence(let items):
            return matchSequence(items[...], b, i, budget, k)
        case .alternation(let options):
            for o in options where match(o, b, i, budget, k) { return true }
            return false
        case .repeated(let inner, let lo, let hi):
            return matchRepeat(inner, lo, hi, 0, b, i, budget, k)
        }
    }

    static func matchSequence(_ items: ArraySlice<Node>, _ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ budget: StepBudget, _ k: (Int) -> Bool) -> Bool {
        guard let first = items.first else { return k(i) }
        let rest = items.dropFirst()
        return withoutActuallyEscaping(k) { k in
            match(first, b, i, budget) { j in matchSequence(rest, b, j, budget, k) }
        }
    }

    static func matchRepeat(_ inner: Node, _ lo: Int, _ hi: Int, _ done: Int, _ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ budget: StepBudget, _ k: (Int) -> Bool) -> Bool {
        // Greedy: try one more repetition first, then stop if allowed.
        if done < hi {
            let more = withoutActuallyEscaping(k) { k in
                match(inner, b, i, budget) { j in j > i && matchRepeat(inner, lo, hi, done + 1, b, j, budget, k) }
            }
            if more { return true }
        }
        return done >= lo && k(i)
    }

    struct Parser {
        let bytes: [UInt8]
        let caseInsensitive: Bool
        var i = 0

        mutating func parseAlternation() throws(PatternError) -> Node {
            var options = [try parseSequence()]
            while i < bytes.count && bytes[i] == UInt8(ascii: "|") {
                i += 1
                options.append(try parseSequence())
            }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        mutating func parseSequence() throws(PatternError) -> Node {
            var items: [Node] = []
            while i < bytes.count && bytes[i] != UInt8(ascii: "|") && bytes[i] != UInt8(ascii: ")") {
                var atom = try parseAtom()
                atom = try parseQuantifier(atom)
                items.append(atom)
            }
            return .sequence(items)
        }

        mutating func parseAtom() throws(PatternError) -> Node {
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "^"), UInt8(ascii: "$"):
                // Anchors are implicit (whole-cell match); accept and ignore.
                return .sequence([])
            case UInt8(ascii: "("):
                if i + 1 < bytes.count && bytes[i] == UInt8(ascii: "?") && bytes[i + 1] == UInt8(ascii: ":") { i += 2 }
                let inner = try parseAlternation()
                guard i < bytes.count && bytes[i] == UInt8(ascii: ")") else { throw PatternError("unclosed '(' in pattern") }
                i += 1
                return inner
            case UInt8(ascii: "["):
                return try parseClass()
            case UInt8(ascii: "."):
                var set = ByteSet.all
                set.remove(0x0A)
                return .byteSet(set)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw PatternError("pattern ends with '\\'") }
                let e = bytes[i]
                i += 1
                return .byteSet(escapeSet(e))
            default:
                return .byteSet(single(c))
            }
        }

        func single(_ c: UInt8) -> ByteSet {
            var set = ByteSet()
            set.insert(c)
            if caseInsensitive && isASCIILetter(c) { set.insert(asciiLower(c)); set.insert(asciiUpper(c)) }
            return set
        }

        func escapeSet(_ e: UInt8) -> ByteSet {
            var set = ByteSet()
            switch e {
            case UInt8(ascii: "d"): for d in UInt8(0x30)...0x39 { set.insert(d) }
            case UInt8(ascii: "s"): for s: UInt8 in [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C] { set.insert(s) }
            case UInt8(ascii: "w"):
                for x in UInt8(0)...255 where isDigit(x) || isASCIILetter(x) || x == 0x5F { set.insert(x) }
            default: return single(e)
            }
            return set
        }

        mutating func parseClass() throws(PatternError) -> Node {
            var set = ByteSet()
            var negate = false
            if i < bytes.count && bytes[i] == UInt8(ascii: "^") { negate = true; i += 1 }
            var firstItem = true
            while i < bytes.count && (bytes[i] != UInt8(ascii: "]") || firstItem) {
                firstItem = false
                var lo = bytes[i]
                i += 1
                if lo == UInt8(ascii: "\\") && i < bytes.count {
                    let e = bytes[i]
                    i += 1
                    if e == UInt8(ascii: "d") || e == UInt8(ascii: "s") || e == UInt8(ascii: "w") {
                        set.formUnion(escapeSet(e))
                        continue
                    }
                    lo = e
                }
                if i + 1 < bytes.count && bytes[i] == UInt8(ascii: "-") && bytes[i + 1] != UInt8(ascii: "]") {
                    let hi = bytes[i + 1]
                    i += 2
                    guard lo <= hi else { throw PatternError("bad range in pattern class") }
                    for x in lo...hi { set.formUnion(single(x)) }
                } else {
                    set.formUnion(single(lo))
                }
            }
            guard i < bytes.count else { throw PatternError("unclosed '[' in pattern") }
            i += 1
            if negate { set = set.inverted }
            return .byteSet(set)
        }

        mutating func parseQuantifier(_ atom: Node) throws(PatternError) -> Node {
            guard i < bytes.count else { return atom }
            switch bytes[i] {
            case UInt8(ascii: "?"): i += 1; return .repeated(atom, min: 0, max: 1)
            case UInt8(ascii: "*"): i += 1; return .repeated(atom, min: 0, max: Int.max)
            case UInt8(ascii: "+"): i += 1; return .repeated(atom, min: 1, max: Int.max)
            case UInt8(ascii: "{"):
                guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) else { throw PatternError("unclosed '{' in pattern") }
                let body = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
                let parts = body.split(separator: ",", omittingEmptySubsequences: false)
                guard let lo = Int(parts[0]) else { throw PatternError("bad repeat {\(body)} in pattern") }
                var hi = lo
                if parts.count == 2 { hi = parts[1].isEmpty ? Int.max : (Int(parts[1]) ?? -1) }
                guard hi >= lo, parts.count <= 2 else { throw PatternError("bad repeat {\(body)} in pattern") }
                i = close + 1
                return .repeated(atom, min: lo, max: hi)
            default:
                return atom
            }
        }
    }
}

/// 256 flags, one per byte value.
public struct ByteSet: Sendable, Equatable {
    var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    public init() {}
    public static var all: ByteSet { var s = ByteSet(); s.w = (~0, ~0, ~0, ~0); return s }
    @inline(__always) public func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return w.0 & bit != 0
        case 1: return w.1 & bit != 0
        case 2: return w.2 & bit != 0
        default: return w.3 & bit != 0
        }
    }
    public mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: w.0 |= bit
        case 1: w.1 |= bit
        case 2: w.2 |= bit
        default: w.3 |= bit
        }
    }
    public mutating func remove(_ b: UInt8) {
        let bit = ~(UInt64(1) << UInt64(b & 63))
        switch b >> 6 {
        case 0: w.0 &= bit
        case 1: w.1 &= bit
        case 2: w.2 &= bit
        default: w.3 &= bit
        }
    }
    public mutating func formUnion(_ o: ByteSet) { w = (w.0 | o.w.0, w.1 | o.w.1, w.2 | o.w.2, w.3 | o.w.3) }
    public var inverted: ByteSet { var s = self; s.w = (~w.0, ~w.1, ~w.2, ~w.3); return s }
    public static func == (a: ByteSet, b: ByteSet) -> Bool { a.w == b.w }
}
