import LLRCore

/// `Pipelines/synth/`: the volumes, places, names and groups that synthetic
/// returns are drawn from. Data, so calibration is a config change.
public struct SynthSettings: Sendable {
    public struct LocalAuthority: Sendable {
        public var name: String
        public var code: String
        public var council: String
        public var children: Int
        public var districts: [(String, Int)]
        /// Partner code → [(event type, count per year at scale 1)].
        public var perYear: [(String, [(String, Int)])]
        /// Spells open at any time (CP_PLAN, CLA_EPISODE).
        public var stock: [(String, Int)]
        public var reReferralRate: Double
        /// Children reported missing in a year (a small cohort goes missing again and again).
        public var missingChildren: Int
    }

    public struct Group: Sendable {
        public var name: String
        /// Family (and `ons`) → the code that family records.
        public var codes: [String: String]
        public var female: [String]
        public var male: [String]
        public var surnames: [String]
    }

    /// A row of a synthetic commentary return (contract §8). With `countOf`,
    /// the value is the partner's own count of those events planned in the
    /// last quarter, plus `plus` (a figure that disagrees with its records).
    public struct CommentaryLine: Sendable {
        public var measure: String
        public var countOf: String?
        public var plus = 0
        public var value: String = "", numerator: String = "", denominator: String = ""
        public var commentary: String
        public var action: String
    }

    public var localAuthorities: [LocalAuthority]
    /// Partner → its commentary rows, written for the last quarter.
    public var commentary: [(partner: String, lines: [CommentaryLine])] = []
    public var spellDays: [String: Int]
    public var councilRecordsPoliceMissing: Double
    public var lacInitialAssessments: Double
    public var lacReviewsPerYear: Double
    /// The share of the plans open when the data starts that began up to three years before.
    public var longOpenPlans = 0.0
    public var groups: [Group]
    public var notStated: [String: String]
    public var notStatedShare: Double
    /// LA code → group weights, in `groups` order.
    public var shares: [String: [Int]]
    public var variants: [String: [String]]

    public static func load(pipelines: String) throws(PipelineError) -> SynthSettings {
        let volumesName = "synth/volumes.yaml", namesName = "synth/names.yaml"
        var v = try StrictMap(StrictMap.loadRoot(path: pipelines + "/" + volumesName, displayName: volumesName), file: volumesName, what: "synth volumes")
        var las: [LocalAuthority] = []
        for node in try v.list("localAuthorities") ?? [] {
            var m = try StrictMap(node, file: volumesName, what: "a local authority")
            var perYear: [(String, [(String, Int)])] = []
            if var py = try m.map("perYear") {
                for partner in py.keys { perYear.append((partner, try py.counts(partner) ?? [])) }
                try py.finish()
            }
            las.append(LocalAuthority(
                name: try m.requiredString("name"), code: try m.requiredString("code"), council: try m.requiredString("council"),
                children: try m.int("children") ?? 0, districts: try m.counts("districts") ?? [], perYear: perYear,
                stock: try m.counts("stock") ?? [], reReferralRate: try m.double("reReferralRate") ?? 0,
                missingChildren: try m.int("missingChildren") ?? 0))
            try m.finish(allowed: ["name", "code", "council", "children", "districts", "perYear", "stock", "reReferralRate", "missingChildren"])
        }
        let spells = Dictionary(uniqueKeysWithValues: try v.counts("spells") ?? [])
        let mirror = try v.double("councilRecordsPoliceMissing") ?? 0
        let lacInitial = try v.double("lacInitialAssessments") ?? 0
        let lacReviews = try v.double("lacReviewsPerYear") ?? 0
        let longOpen = try v.double("longOpenPlans") ?? 0
        if !(0...1).contains(longOpen) { throw v.error("longOpenPlans", "longOpenPlans is a share from 0 to 1") }
        let commentary = try readCommentary(&v, file: volumesName)
        try v.finish(allowed: ["localAuthorities", "spells", "councilRecordsPoliceMissing", "lacInitialAssessments", "lacReviewsPerYear", "longOpenPlans", "commentary"])

        var n = try StrictMap(StrictMap.loadRoot(path: pipelines + "/" + namesName, displayName: namesName), file: namesName, what: "synth names")
        var groups: [Group] = []
        if var gm = try n.map("groups") {
            for name in gm.keys {
                var g = try StrictMap(gm.node(name)!, file: namesName, what: "group \(name)")
                var codes: [String: String] = [:]
                if var cm = try g.map("codes") {
                    for k in cm.keys { codes[k] = try cm.string(k) }
                    try cm.finish()
                }
                groups.append(Group(name: name, codes: codes, female: try g.strings("female") ?? [], male: try g.strings("male") ?? [],
                                    surnames: try g.strings("surnames") ?? []))
                try g.finish(allowed: ["codes", "female", "male", "surnames"])
            }
            try gm.finish()
        }
        var notStated: [String: String] = [:]
        if var ns = try n.map("notStated") {
            for k in ns.keys { notStated[k] = try ns.string(k) }
            try ns.finish()
        }
        let notStatedShare = try n.double("notStatedShare") ?? 0
        var shares: [String: [Int]] = [:]
        if var sm = try n.map("shares") {
            for la in sm.keys {
                let weights = Dictionary(uniqueKeysWithValues: try sm.counts(la) ?? [])
                shares[la] = groups.map { weights[$0.name] ?? 0 }
            }
            try sm.finish()
        }
        var variants: [String: [String]] = [:]
        if var vm = try n.map("variants") {
            for k in vm.keys { variants[k] = try vm.strings(k) ?? [] }
            try vm.finish()
        }
        try n.finish(allowed: ["groups", "notStated", "notStatedShare", "shares", "variants"])
        for g in groups where g.female.isEmpty || g.male.isEmpty || g.surnames.isEmpty {
            throw PipelineError(file: namesName, line: 1, "group \(g.name) needs female, male and surnames")
        }
        for la in las where shares[la.code] == nil {
            throw PipelineError(file: namesName, line: 1, "no group shares for \(la.code) (\(la.name))")
        }
        return SynthSettings(
            localAuthorities: las, commentary: commentary, spellDays: spells, councilRecordsPoliceMissing: mirror, lacInitialAssessments: lacInitial,
            lacReviewsPerYear: lacReviews, longOpenPlans: longOpen, groups: groups, notStated: notStated, notStatedShare: notStatedShare,
            shares: shares, variants: variants)
    }

    /// `commentary: {PARTNER: [{measure, countOf, plus, value, numerator, denominator, commentary, action}]}`.
    static func readCommentary(_ v: inout StrictMap, file: String) throws(PipelineError) -> [(partner: String, lines: [CommentaryLine])] {
        guard var cm = try v.map("commentary") else { return [] }
        var out: [(partner: String, lines: [CommentaryLine])] = []
        for partner in cm.keys {
            var lines: [CommentaryLine] = []
            for node in try cm.list(partner) ?? [] {
                var m = try StrictMap(node, file: file, what: "a commentary row")
                var line = CommentaryLine(measure: try m.requiredString("measure"), countOf: try m.string("countOf"), commentary: try m.string("commentary") ?? "",
                                          action: try m.string("action") ?? "")
                line.plus = try m.int("plus") ?? 0
                line.value = try m.string("value") ?? ""
                line.numerator = try m.string("numerator") ?? ""
                line.denominator = try m.string("denominator") ?? ""
                try m.finish(allowed: ["measure", "countOf", "plus", "value", "numerator", "denominator", "commentary", "action"])
                lines.append(line)
            }
            out.append((partner, lines))
        }
        try cm.finish()
        return out
    }
}
