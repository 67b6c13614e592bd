import Yams
import LLRCore

/// The board's measures (`Pipelines/measures.yaml`, contract §7), read
/// strictly and checked against the contract: every word, event type,
/// family and measure it names exists, and no measure is made from itself.
public struct MeasureCatalogue: Sendable {
    public var source: String
    public var measures: [MeasureDefinition]
    public var workingDays: WorkingDays
    public var benchmarks: [Benchmark] = []
    /// How far a partner's own figure may stray from its records before the
    /// run report and the pack say so, by unit (`reconciliation:` in measures.yaml).
    public var reconcileTolerance: [MeasureUnit: Double] = [.count: 0, .percent: 0.5, .rate: 0.5]
    /// Measures only a partner reports (contract §8), read with the contract.
    public var partnerMeasures: [PartnerMeasure] = []

    public func measure(_ code: String) -> MeasureDefinition? { measures.first { $0.code == code } }

    /// measures.yaml and bankholidays.yaml beside the contract.
    public static func load(contract: Pipelines) throws(PipelineError) -> MeasureCatalogue {
        try load(path: contract.directory + "/measures.yaml", name: "measures.yaml", contract: contract)
    }

    public static func load(path: String, name: String, contract: Pipelines) throws(PipelineError) -> MeasureCatalogue {
        let days = try WorkingDays.load(path: contract.directory + "/bankholidays.yaml", name: "bankholidays.yaml")
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the measures catalogue")
        let source = try root.requiredString("source")
        guard let nodes = try root.list("measures") else { throw PipelineError(file: name, line: root.line, "'measures' is required") }
        _ = root.node("partnerMeasures")  // read with the contract (MeasureCodeBook): the validator needs them too
        let tolerance = try readTolerance(&root)
        try root.finish(allowed: ["source", "measures", "partnerMeasures", "reconciliation"])
        var reader = MeasureReader(file: name, contract: contract)
        var measures: [MeasureDefinition] = []
        for node in nodes {
            let m = try reader.read(node)
            if measures.contains(where: { $0.code == m.code }) { throw PipelineError(file: name, line: m.line, "measure \(m.code) is defined twice") }
            measures.append(m)
        }
        var catalogue = MeasureCatalogue(source: source, measures: measures, workingDays: days)
        if let tolerance { catalogue.reconcileTolerance = tolerance }
        catalogue.partnerMeasures = contract.measureCodes.partnerMeasures
        try catalogue.checkReferences()
        catalogue.benchmarks = try catalogue.loadBenchmarks(contract: contract)
        return catalogue
    }

    /// `reconciliation: {tolerance: {count: 0, percent: 0.5, rate: 0.5}}`: every unit given, none negative.
    private static func readTolerance(_ root: inout StrictMap) throws(PipelineError) -> [MeasureUnit: Double]? {
        guard var r = try root.map("reconciliation") else { return nil }
        guard var t = try r.map("tolerance") else { throw r.error("tolerance", "reconciliation needs 'tolerance' with a value for each unit") }
        var out: [MeasureUnit: Double] = [:]
        for unit in MeasureUnit.allCases {
            guard let v = try t.double(unit.rawValue) else { throw t.error(unit.rawValue, "reconciliation tolerance needs '\(unit.rawValue)'") }
            guard v >= 0 else { throw t.error(unit.rawValue, "a tolerance cannot be negative") }
            out[unit] = v
        }
        try t.finish(allowed: MeasureUnit.allCases.map(\.rawValue))
        try r.finish(allowed: ["tolerance"])
        return out
    }

    /// Every measure named as a numerator or denominator exists, has the
    /// same kind of count, and no measure is made from itself.
    func checkReferences() throws(PipelineError) {
        let codes = ContractNames("a measure of the catalogue", measures.map(\.code))
        for m in measures {
            for r in m.references { try codes.check(r, file: m.file, line: m.line, in: "measure \(m.code)") }
        }
        for m in measures { try checkCycle(m.code, trail: []) }
    }

    private func checkCycle(_ code: String, trail: [String]) throws(PipelineError) {
        guard let m = measure(code) else { return }
        if trail.contains(code) {
            throw PipelineError(file: m.file, line: m.line, "measure \(code) is made from itself (\((trail + [code]).joined(separator: " → ")))")
        }
        for r in m.references { try checkCycle(r, trail: trail + [code]) }
    }

    /// The measures in an order where each comes after those it is made from.
    public var computeOrder: [MeasureDefinition] {
        var done = Set<String>(), out: [MeasureDefinition] = []
        func visit(_ m: MeasureDefinition) {
            guard !done.contains(m.code) else { return }
            done.insert(m.code)
            for r in m.references { if let d = measure(r) { visit(d) } }
            out.append(m)
        }
        for m in measures { visit(m) }
        return out
    }
}
