/// `Pipelines/mappings.yaml`: how every family's codes and free text align
/// to the one LLR event schema (data contract §4).
public struct Mappings: Sendable {
    public var canonicalEventTypes: [String]
    /// Family → source event type → canonical type.
    public var eventTypes: [String: [String: String]]
    /// ONS category → group (White, Mixed, Asian, Black, Other, Not known).
    public var ethnicGroups: [String: String]
    public var ethnicCategories: [String]
    /// Code list name → code → ONS category; nil map means the codes are ONS categories already.
    public var ethnicity: [String: [String: String]?]
    /// Code list name → code → M/F/U; nil map means identity.
    public var sex: [String: [String: String]?]
    /// ONS LA code → name, and folded typed forms → ONS code.
    public var laNames: [String: String]
    public var laForms: [[UInt8]: String]
    public var outsideCode: String
    public var outsideName: String
    /// The place of an event whose place is not recorded at all (no LA
    /// field, no postcode): kept apart from outside LLR (contract §7).
    public var notKnownCode = "NOT_KNOWN"
    public var notKnownName = "not known"
    /// Postcode district → ONS LA code.
    public var districts: [String: String]
    public var population: [String: Int]
    public var populationSource: String
    /// Age bands: label and the highest age in it, in order.
    public var ageBands: [(String, Int)]
    /// Event attributes carried through to the aligned events, in column
    /// order, when a family lists them in its `attributes:`.
    public var eventAttributes: [String] = []

    /// Where each name this file gives is, for the cross-checks against the
    /// contract: "eventTypes.police", "eventTypes.police.CSE_REFERRAL",
    /// "ethnicity.dfe_ethnicity", "sex.nhs_gender".
    public var lines: [String: Int] = [:]

    static func load(path: String, name: String) throws(PipelineError) -> Mappings {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the mappings")
        var m = Mappings(canonicalEventTypes: [], eventTypes: [:], ethnicGroups: [:], ethnicCategories: [], ethnicity: [:], sex: [:],
                         laNames: [:], laForms: [:], outsideCode: "", outsideName: "", districts: [:], population: [:],
                         populationSource: "", ageBands: [])
        guard var et = try root.map("eventTypes") else { throw PipelineError(file: name, line: root.line, "'eventTypes' is required") }
        try m.readEventTypes(&et)
        guard var eth = try root.map("ethnicity") else { throw PipelineError(file: name, line: root.line, "'ethnicity' is required") }
        try m.readEthnicity(&eth)
        guard var sx = try root.map("sex") else { throw PipelineError(file: name, line: root.line, "'sex' is required") }
        _ = try sx.requiredString("source")
        for list in sx.keys where list != "source" {
            m.sex[list] = try codeMap(&sx, list, allowed: ["M", "F", "U"])
            m.lines["sex." + list] = sx.lineOf(list)
        }
        try sx.finish()
        guard var las = try root.map("localAuthorities") else { throw PipelineError(file: name, line: root.line, "'localAuthorities' is required") }
        try m.readLocalAuthorities(&las)
        guard var pd = try root.map("postcodeDistricts") else { throw PipelineError(file: name, line: root.line, "'postcodeDistricts' is required") }
        _ = try pd.requiredString("source")
        for la in pd.keys where la != "source" {
            guard m.laNames[la] != nil else { throw pd.error(la, "\(la) is not one of localAuthorities.areas") }
            for d in try pd.strings(la) ?? [] { m.districts[d] = la }
        }
        try pd.finish()
        guard var pop = try root.map("population") else { throw PipelineError(file: name, line: root.line, "'population' is required") }
        try m.readPopulation(&pop)
        guard var ab = try root.map("ageBands") else { throw PipelineError(file: name, line: root.line, "'ageBands' is required") }
        try m.readAgeBands(&ab, file: name)
        guard var attributes = try root.map("eventAttributes") else { throw PipelineError(file: name, line: root.line, "'eventAttributes' is required") }
        _ = try attributes.requiredString("source")
        m.eventAttributes = try attributes.strings("columns") ?? []
        m.lines["eventAttributes"] = attributes.lineOf("columns")
        try attributes.finish()
        try root.finish(allowed: ["eventTypes", "ethnicity", "sex", "localAuthorities", "postcodeDistricts", "population", "ageBands", "eventAttributes"])
        return m
    }

    private mutating func readEventTypes(_ et: inout StrictMap) throws(PipelineError) {
        _ = try et.requiredString("source")
        canonicalEventTypes = try et.strings("canonical") ?? []
        for family in et.keys where family != "source" && family != "canonical" {
            var m = try et.map(family)!
            lines["eventTypes." + family] = et.lineOf(family)
            var table: [String: String] = [:]
            for k in m.keys {
                let v = try m.requiredString(k)
                guard canonicalEventTypes.contains(v) else { throw m.error(k, "\(v) is not a canonical event type") }
                table[k] = v
                lines["eventTypes.\(family).\(k)"] = m.lineOf(k)
            }
            try m.finish()
            eventTypes[family] = table
        }
        try et.finish()
    }

    private mutating func readEthnicity(_ eth: inout StrictMap) throws(PipelineError) {
        _ = try eth.requiredString("source")
        if var cm = try eth.map("categories") {
            for k in cm.keys { ethnicGroups[k] = try cm.requiredString(k); ethnicCategories.append(k) }
            try cm.finish()
        }
        for list in eth.keys where list != "source" && list != "categories" {
            ethnicity[list] = try Mappings.codeMap(&eth, list, allowed: Set(ethnicCategories))
            lines["ethnicity." + list] = eth.lineOf(list)
        }
        try eth.finish()
    }

    private mutating func readLocalAuthorities(_ las: inout StrictMap) throws(PipelineError) {
        _ = try las.requiredString("source")
        if var areas = try las.map("areas") {
            for code in areas.keys {
                var a = try areas.map(code)!
                laNames[code] = try a.requiredString("name")
                for f in try a.strings("forms") ?? [] { laForms[foldForMatching(f)] = code }
                laForms[foldForMatching(code)] = code
                try a.finish(allowed: ["name", "forms"])
            }
            try areas.finish()
        }
        var outside = try las.map("outside")
        outsideCode = try outside?.requiredString("code") ?? "OUTSIDE_LLR"
        outsideName = try outside?.requiredString("name") ?? "outside LLR"
        try outside?.finish()
        if var notKnown = try las.map("notKnown") {
            notKnownCode = try notKnown.requiredString("code")
            notKnownName = try notKnown.requiredString("name")
            try notKnown.finish()
        }
        try las.finish(allowed: ["source", "areas", "outside", "notKnown"])
    }

    private mutating func readPopulation(_ pop: inout StrictMap) throws(PipelineError) {
        populationSource = try pop.requiredString("source")
        _ = try pop.int("year")
        // A rate is children per 10,000 of these: a count of 0 or below gave
        // infinite rates in indicators.csv.gz and hung the run report's chart.
        for la in pop.keys where la != "source" && la != "year" {
            guard laNames[la] != nil else { throw pop.error(la, "\(la) is not one of localAuthorities.areas") }
            guard let count = try pop.int(la), count > 0 else { throw pop.error(la, "the population of \(la) must be a whole number above 0") }
            population[la] = count
        }
        try pop.finish()
    }

    private mutating func readAgeBands(_ ab: inout StrictMap, file name: String) throws(PipelineError) {
        _ = try ab.requiredString("source")
        for node in try ab.list("bands") ?? [] {
            var b = try StrictMap(node, file: name, what: "an age band")
            guard let max = try b.int("max") else { throw PipelineError(file: name, line: b.line, "an age band needs 'max'") }
            // An age takes the first band whose max it is not above: bands out of order would misfile ages.
            if let before = ageBands.last?.1, max <= before {
                throw PipelineError(file: name, line: b.line, "an age band's max (\(max)) must be above the band before's (\(before))")
            }
            if ageBands.isEmpty && max < 0 { throw PipelineError(file: name, line: b.line, "the first age band's max (\(max)) must be 0 or above") }
            ageBands.append((try b.requiredString("label"), max))
            try b.finish(allowed: ["label", "max"])
        }
        if ageBands.isEmpty { throw ab.error("bands", "ageBands needs at least one band") }
        try ab.finish()
    }

    /// `identity`, or a mapping of code → target checked against `allowed`.
    static func codeMap(_ m: inout StrictMap, _ key: String, allowed: Set<String>) throws(PipelineError) -> [String: String]? {
        if let s = try? m.string(key), s == "identity" { return nil }
        guard var cm = try m.map(key) else { return nil }
        var out: [String: String] = [:]
        for k in cm.keys {
            let v = try cm.requiredString(k)
            guard allowed.contains(v) else { throw cm.error(k, "'\(v)' is not one of \(allowed.sorted().joined(separator: ", "))") }
            out[k] = v
        }
        try cm.finish()
        return out
    }

    /// The band an age falls in.
    public func ageBand(_ age: Int) -> String {
        for (label, max) in ageBands where age <= max { return label }
        return ageBands.last?.0 ?? ""
    }
}
