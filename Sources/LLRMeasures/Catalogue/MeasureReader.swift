import Yams
import LLRCore

/// Reads one entry of measures.yaml, each word and name checked as it is read.
struct MeasureReader {
    let file: String
    let contract: Pipelines
    let types: ContractNames
    let families: ContractNames

    init(file: String, contract: Pipelines) {
        self.file = file
        self.contract = contract
        types = ContractNames("a canonical event type (mappings.yaml)", contract.mappings.canonicalEventTypes)
        families = ContractNames("a family", contract.families.keys)
    }

    static let keys = ["code", "title", "priority", "unit", "polarity", "source", "count", "events", "where",
                       "perChild", "familiesPerChild", "numerator", "denominator", "target"]

    mutating func read(_ node: Node) throws(PipelineError) -> MeasureDefinition {
        var m = try StrictMap(node, file: file, what: "a measure")
        let code = try m.requiredString("code")
        guard code.utf8.allSatisfy({ isDigit($0) || isASCIILetter($0) || $0 == 0x5F }) else { throw m.error("code", "measure code '\(code)' must be letters, digits and _") }
        var d = MeasureDefinition(code: code, title: try m.requiredString("title"), priority: try m.requiredString("priority"),
                                  unit: try word(&m, "unit", MeasureUnit.self), polarity: try word(&m, "polarity", Polarity.self),
                                  source: try m.requiredString("source"), file: file, line: m.line)
        if let count = try m.string("count") {
            guard count == "events" || count == "children" else { throw m.error("count", "count is events or children, not '\(count)'") }
            d.countsChildren = count == "children"
        }
        if var e = try m.map("events") {
            d.events = try kinds(&e)
            d.dates = try word(&e, "when", QuarterDates.self)
            try e.finish(allowed: ["types", "families", "when"])
            try checkProduced(d.events!, line: e.line)
        }
        for c in try m.list("where") ?? [] { d.conditions.append(try condition(c)) }
        d.perChildAtLeast = try atLeast(&m, "perChild")
        d.familiesPerChildAtLeast = try atLeast(&m, "familiesPerChild")
        d.numerator = try m.string("numerator")
        if let den = try m.string("denominator") { d.denominator = den == "population" ? .population : .measure(den) }
        if var t = try m.map("target") { try readTarget(&t, into: &d) }
        try m.finish(allowed: Self.keys)
        try checkShape(d, m)
        return d
    }

    /// A word of a closed list (a unit, a polarity, a kind of dates).
    func word<W: RawRepresentable & CaseIterable>(_ m: inout StrictMap, _ key: String, _: W.Type) throws(PipelineError) -> W where W.RawValue == String {
        let text = try m.requiredString(key)
        guard let w = W(rawValue: text) else {
            throw m.error(key, ContractNames("a \(key)", W.allCases.map(\.rawValue)).message(for: text))
        }
        return w
    }

    func kinds(_ e: inout StrictMap) throws(PipelineError) -> EventKinds {
        let t = try e.strings("types") ?? [], f = try e.strings("families") ?? []
        for x in t { try types.check(x, file: file, line: e.lineOf("types"), in: "events") }
        for x in f { try families.check(x, file: file, line: e.lineOf("families"), in: "events") }
        return EventKinds(types: t, families: f)
    }

    /// An event type that no family named maps to would count nothing, for ever.
    func checkProduced(_ k: EventKinds, line: Int) throws(PipelineError) {
        let fams = k.families.isEmpty ? Array(contract.families.keys) : k.families
        for t in k.types where !fams.contains(where: { (contract.mappings.eventTypes[$0] ?? [:]).values.contains(t) }) {
            throw PipelineError(file: file, line: line, "no \(k.families.isEmpty ? "family" : k.families.joined(separator: " or ")) return gives \(t) events (mappings.yaml eventTypes)")
        }
    }

    func atLeast(_ m: inout StrictMap, _ key: String) throws(PipelineError) -> Int? {
        guard var a = try m.map(key) else { return nil }
        let n = try a.int("atLeast", default: 1, in: 1...)
        try a.finish(allowed: ["atLeast"])
        return n
    }

    func condition(_ node: Node) throws(PipelineError) -> MeasureCondition {
        var c = try StrictMap(node, file: file, what: "a condition")
        guard c.keys.count == 1, let key = c.keys.first else {
            throw PipelineError(file: file, line: c.line, "a condition is one of startedDaysBeforeQuarterEnd, endedWithinWorkingDays, childHas")
        }
        let out: MeasureCondition
        switch key {
        case "startedDaysBeforeQuarterEnd": out = .startedDaysBeforeQuarterEnd(atLeast: try c.int(key, default: 0, in: 0...3660))
        case "endedWithinWorkingDays": out = .endedWithinWorkingDays(try c.int(key, default: 0, in: 0...366))
        case "childHas":
            var h = try c.map(key)!
            let k = try kinds(&h)
            try checkProduced(k, line: h.line)
            let when = try word(&h, "when", ChildHasWhen.self)
            let needsDays = when == .startedWithinDaysBefore || when == .datedWithinDaysOfQuarterEnd
            let days = needsDays ? try h.int("days", default: -1, in: 1...3660) : 0
            if needsDays && days < 0 { throw h.error("when", "\(when.rawValue) needs 'days'") }
            try h.finish(allowed: ["types", "families", "when"] + (needsDays ? ["days"] : []))
            out = .childHas(k, when: when, days: days)
        default:
            throw c.error(key, ContractNames("a condition", ["startedDaysBeforeQuarterEnd", "endedWithinWorkingDays", "childHas"]).message(for: key))
        }
        try c.finish()
        return out
    }

    /// `target: {value, tolerance, source}` for a measure with a polarity,
    /// `target: {expected: [low, high], tolerance, source}` for one without.
    func readTarget(_ t: inout StrictMap, into d: inout MeasureDefinition) throws(PipelineError) {
        func number(_ text: String, _ key: String) throws(PipelineError) -> Double {
            guard let v = Double(text), v.isFinite else { throw t.error(key, "'\(text)' is not a number") }
            return v
        }
        d.targetSource = try t.requiredString("source")
        if let tol = try t.string("tolerance") {
            d.tolerance = try number(tol, "tolerance")
            if d.tolerance < 0 { throw t.error("tolerance", "tolerance must not be negative") }
        }
        if d.polarity == .none {
            guard let range = try t.strings("expected"), range.count == 2 else { throw t.error("expected", "a measure with no polarity takes expected: [low, high]") }
            let low = try number(range[0], "expected"), high = try number(range[1], "expected")
            if low > high { throw t.error("expected", "expected: the low end (\(range[0])) is above the high end (\(range[1]))") }
            d.expectedRange = low...high
            try t.finish(allowed: ["expected", "tolerance", "source"])
        } else {
            d.target = try number(try t.requiredString("value"), "value")
            try t.finish(allowed: ["value", "tolerance", "source"])
        }
    }

    /// The parts a unit needs, and nothing that would be ignored.
    func checkShape(_ d: MeasureDefinition, _ m: StrictMap) throws(PipelineError) {
        func fail(_ why: String) -> PipelineError { PipelineError(file: file, line: m.line, "measure \(d.code): \(why)") }
        if d.events == nil && d.numerator == nil { throw fail("give 'events' (what it counts) or 'numerator' (another measure)") }
        if d.events != nil && d.numerator != nil { throw fail("give 'events' or 'numerator', not both") }
        if d.events == nil && (!d.conditions.isEmpty || d.perChildAtLeast != nil || d.familiesPerChildAtLeast != nil) {
            throw fail("'where', 'perChild' and 'familiesPerChild' apply to its own events; it has none")
        }
        if (d.perChildAtLeast != nil || d.familiesPerChildAtLeast != nil) && !d.countsChildren { throw fail("perChild and familiesPerChild need count: children") }
        switch d.unit {
        case .count: if d.denominator != nil { throw fail("a count has no denominator") }
        case .percent: if case .measure = d.denominator {} else { throw fail("a percent needs a denominator measure") }
        case .rate: if d.denominator != .population { throw fail("a rate is per 10,000 children: denominator: population") }
        }
    }
}
