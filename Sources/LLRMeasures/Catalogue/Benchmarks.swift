import Yams
import LLRCore

/// A published reference value for a measure, with where it comes from.
public struct Benchmark: Sendable {
    public var measure: String
    public var year: String
    public var national: Double?
    public var statisticalNeighbours: Double?
    /// National quartile cut points, best quarter first (by polarity).
    public var quartiles: [Double]?
    public var source: String
    public var note: String

    /// The national quartile a value falls in, A (the best quarter) to D,
    /// judged by polarity; nil without cut points or a polarity.
    public func quartile(of v: Double, polarity: Polarity) -> String? {
        guard let cuts = quartiles, cuts.count == 3, polarity != .none else { return nil }
        let better: (Double, Double) -> Bool = polarity == .high ? { $0 >= $1 } : { $0 <= $1 }
        for (cut, letter) in zip(cuts, ["A", "B", "C"]) where better(v, cut) { return letter }
        return "D"
    }
}

extension MeasureCatalogue {
    /// `Pipelines/benchmarks.yaml`, each measure checked against the catalogue.
    public func loadBenchmarks(contract: Pipelines) throws(PipelineError) -> [Benchmark] {
        let name = "benchmarks.yaml"
        var root = try StrictMap(StrictMap.loadRoot(path: contract.directory + "/" + name, displayName: name), file: name, what: "the benchmarks")
        let nodes = try root.list("benchmarks") ?? []
        try root.finish(allowed: ["benchmarks"])
        let codes = ContractNames("a measure of the catalogue", measures.map(\.code))
        var out: [Benchmark] = []
        for node in nodes {
            var m = try StrictMap(node, file: name, what: "a benchmark")
            let code = try m.requiredString("measure")
            try codes.check(code, file: name, line: m.lineOf("measure"))
            func number(_ key: String) throws(PipelineError) -> Double? {
                guard let text = try m.string(key), !text.isEmpty else { return nil }
                guard let v = Double(text), v.isFinite, v >= 0 else { throw m.error(key, "\(key) must be a number, or empty when not known") }
                return v
            }
            let national = try number("national"), neighbours = try number("statisticalNeighbours")
            var quartiles: [Double]?
            if let q = try m.strings("quartiles"), !q.allSatisfy(\.isEmpty) {
                let values = q.compactMap(Double.init)
                guard values.count == 3, values.count == q.count else { throw m.error("quartiles", "quartiles are the three cut points, or empty") }
                quartiles = values
            }
            out.append(Benchmark(measure: code, year: try m.requiredString("year"), national: national, statisticalNeighbours: neighbours,
                                 quartiles: quartiles, source: try m.requiredString("source"), note: try m.string("note") ?? ""))
            try m.finish(allowed: ["measure", "year", "national", "statisticalNeighbours", "quartiles", "source", "note"])
        }
        return out
    }
}
