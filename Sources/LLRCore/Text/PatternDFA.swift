/// A pattern compiled to a deterministic automaton: one table step per byte,
/// no backtracking, so a hostile cell costs its length and nothing more.
/// Built once from the pattern's tree (Thompson NFA, then subset
/// construction over byte classes).
public struct PatternDFA: Sendable {
    /// Byte → class number.
    public let classOf: [UInt8]
    public let classCount: Int
    /// `next[state * classCount + class]`, -1 for no way on.
    public let next: [Int32]
    public let accepting: [Bool]

    /// Runs the automaton over a whole cell.
    @inline(__always) public static func matches(classOf: UnsafePointer<UInt8>, classCount: Int, next: UnsafePointer<Int32>,
                                                 accepting: UnsafePointer<Bool>, _ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        var state: Int32 = 0
        for b in cell {
            state = next[Int(state) * classCount + Int(classOf[Int(b)])]
            if state < 0 { return false }
        }
        return accepting[Int(state)]
    }

    public func matches(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        classOf.withUnsafeBufferPointer { c in
            next.withUnsafeBufferPointer { n in
                accepting.withUnsafeBufferPointer { a in
                    PatternDFA.matches(classOf: c.baseAddress!, classCount: classCount, next: n.baseAddress!, accepting: a.baseAddress!, cell)
                }
            }
        }
    }

    /// Nil when the automaton would be too large (huge repeat counts): the
    /// backtracking matcher, with its step budget, serves those.
    init?(_ root: BytePattern.Node, maxNFAStates: Int = 4000, maxDFAStates: Int = 512) {
        var nfa = NFA()
        let start = nfa.add()
        let end = nfa.add()
        guard nfa.build(root, from: start, to: end, limit: maxNFAStates) else { return nil }

        // Byte classes: bytes that every set treats alike share a class.
        var signature = [[Bool]](repeating: [], count: 256)
        for set in nfa.sets { for b in 0..<256 { signature[b].append(set.contains(UInt8(b))) } }
        var classIndex: [[Bool]: UInt8] = [:]
        var classOf = [UInt8](repeating: 0, count: 256)
        var representative: [Int] = []
        for b in 0..<256 {
            if let c = classIndex[signature[b]] { classOf[b] = c } else {
                guard classIndex.count < 255 else { return nil }
                let c = UInt8(classIndex.count)
                classIndex[signature[b]] = c
                classOf[b] = c
                representative.append(b)
            }
        }
        let classCount = representative.count

        var dfaStates: [[Int]] = [nfa.closure([start])]
        var index: [[Int]: Int32] = [dfaStates[0]: 0]
        var next: [Int32] = []
        var accepting: [Bool] = []
        var i = 0
        while i < dfaStates.count {
            let current = dfaStates[i]
            accepting.append(current.contains(end))
            for c in 0..<classCount {
                let byte = UInt8(representative[c])
                var moved: [Int] = []
                for s in current { for (setIndex, target) in nfa.edges[s] where nfa.sets[setIndex].contains(byte) { moved.append(target) } }
                if moved.isEmpty { next.append(-1); continue }
                let closed = nfa.closure(moved)
                if let known = index[closed] { next.append(known); continue }
                guard dfaStates.count < maxDFAStates else { return nil }
                index[closed] = Int32(dfaStates.count)
                next.append(Int32(dfaStates.count))
                dfaStates.append(closed)
            }
            i += 1
        }
        self.classOf = classOf
        self.classCount = classCount
        self.next = next
        self.accepting = accepting
    }

    struct NFA {
        var epsilon: [[Int]] = []
        var edges: [[(Int, Int)]] = []  // (set index, target)
        var sets: [ByteSet] = []

        mutating func add() -> Int {
            epsilon.append([])
            edges.append([])
            return epsilon.count - 1
        }

        /// Wires `node` between `from` and `to`; false when over `limit` states.
        mutating func build(_ node: BytePattern.Node, from: Int, to: Int, limit: Int) -> Bool {
            if epsilon.count > limit { return false }
            switch node {
            case .byteSet(let set):
                sets.append(set)
                edges[from].append((sets.count - 1, to))
            case .sequence(let items):
                var at = from
                for (k, item) in items.enumerated() {
                    let target = k == items.count - 1 ? to : add()
                    guard build(item, from: at, to: target, limit: limit) else { return false }
                    at = target
                }
                if items.isEmpty { epsilon[from].append(to) }
            case .alternation(let options):
                for o in options { guard build(o, from: from, to: to, limit: limit) else { return false } }
            case .repeated(let inner, let lo, let hi):
                var at = from
                for _ in 0..<lo {
                    let target = add()
                    guard build(inner, from: at, to: target, limit: limit) else { return false }
                    at = target
                }
                if hi == Int.max {
                    let loop = add()
                    epsilon[at].append(loop)
                    guard build(inner, from: loop, to: loop, limit: limit) else { return false }
                    epsilon[loop].append(to)
                } else {
                    if hi - lo > limit { return false }
                    for _ in lo..<hi {
                        epsilon[at].append(to)
                        let target = add()
                        guard build(inner, from: at, to: target, limit: limit) else { return false }
                        at = target
                    }
                    epsilon[at].append(to)
                }
            }
            return true
        }

        func closure(_ states: [Int]) -> [Int] {
            var seen = Set(states)
            var stack = states
            while let s = stack.popLast() {
                for t in epsilon[s] where seen.insert(t).inserted { stack.append(t) }
            }
            return seen.sorted()
        }
    }
}
