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
        try root.finish(allowed: ["source", "measures"])
        var reader = MeasureReader(file: name, contract: contract)
        var measures: [MeasureDefinition] = []
        for node in nodes {
            let m = try reader.read(node)
            if measures.contains(where: { $0.code == m.code }) { throw PipelineError(file: name, line: m.line, "measure \(m.code) is defined twice") }
            measures.append(m)
        }
        var catalogue = MeasureCatalogue(source: source, measures: measures, workingDays: days)
        try catalogue.checkReferences()
        catalogue.benchmarks = try catalogue.loadBenchmarks(contract: contract)
        return catalogue
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
