import Yams
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A measure a partner reports on its own (contract §8): registered in
/// `measures.yaml` under `partnerMeasures`, so its commentary return may
/// name it. The pipeline cannot compute it; the pack shows the partner's figure.
public struct PartnerMeasure: Sendable, Equatable {
    public var partner: String
    public var code: String
    public var title: String
    public var unit: String
    public var source: String
}

/// The measure codes a commentary return may name, with each one's unit:
/// the board's catalogue and the partners' own measures. The catalogue's
/// definitions are read (strictly) by LLRMeasures; the validator needs only
/// the codes and units, so they are read here too, from the same file.
public struct MeasureCodeBook: Sendable {
    /// Catalogue code → unit (count, percent, rate).
    public var catalogue: [String: String] = [:]
    /// Catalogue code → title.
    public var titles: [String: String] = [:]
    public var partnerMeasures: [PartnerMeasure] = []

    public static let units = ["count", "percent", "rate"]

    public var isEmpty: Bool { catalogue.isEmpty && partnerMeasures.isEmpty }

    /// The unit of a code this partner may name, or nil when it may not.
    public func unit(of code: String, partner: String?) -> String? {
        if let u = catalogue[code] { return u }
        return partnerMeasures.first { $0.code == code && $0.partner == partner }?.unit
    }

    /// The codes this partner may name, for a message.
    public func codes(for partner: String?) -> [String] {
        catalogue.keys.sorted() + partnerMeasures.filter { $0.partner == partner }.map(\.code)
    }

    /// `measures.yaml` in the contract folder, when there is one.
    static func load(directory: String, registry: PartnerRegistry) throws(PipelineError) -> MeasureCodeBook {
        let name = "measures.yaml", path = directory + "/" + name
        guard access(path, F_OK) == 0 else { return MeasureCodeBook() }
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the measures catalogue")
        var book = MeasureCodeBook()
        for node in try root.list("measures") ?? [] {
            var m = try StrictMap(node, file: name, what: "a measure")
            if let code = try m.string("code") {
                book.catalogue[code] = try m.string("unit") ?? ""
                book.titles[code] = try m.string("title") ?? code
            }
        }
        for node in try root.list("partnerMeasures") ?? [] {
            book.partnerMeasures.append(try readPartnerMeasure(node, file: name, registry: registry, book: book))
        }
        return book
    }

    private static func readPartnerMeasure(_ node: Node, file: String, registry: PartnerRegistry, book: MeasureCodeBook) throws(PipelineError) -> PartnerMeasure {
        var m = try StrictMap(node, file: file, what: "a partner's own measure")
        let p = PartnerMeasure(partner: try m.requiredString("partner"), code: try m.requiredString("code"), title: try m.requiredString("title"),
                               unit: try m.requiredString("unit"), source: try m.requiredString("source"))
        try m.finish(allowed: ["partner", "code", "title", "unit", "source"])
        try ContractNames("a partner code", registry.partners.map(\.code)).check(p.partner, file: file, line: m.lineOf("partner"), in: "partnerMeasures")
        try ContractNames("a unit", units).check(p.unit, file: file, line: m.lineOf("unit"), in: "partnerMeasures")
        if book.catalogue[p.code] != nil || book.partnerMeasures.contains(where: { $0.code == p.code && $0.partner == p.partner }) {
            throw m.error("code", "\(p.code) is already a measure; a partner's own measure needs a code of its own")
        }
        return p
    }
}
