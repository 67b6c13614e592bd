import LLRCore
import LLRNormalise

/// The identifier columns of a normalised return that a deterministic rule
/// can join on (the normaliser writes them; contract §5 step 4).
public enum IdentifierColumn: String, Sendable, CaseIterable {
    case nhsNumber = "nhs_number", upn, personSourceId = "person_source_id"
}

/// The comparison roles a person record can fill.
public enum LinkField: String, Sendable, CaseIterable {
    case forename, surname, dob, sex, postcode
}

/// One level of a comparison, as `Pipelines/linkage.yaml` writes it.
public struct ComparisonLevel: Sendable {
    public enum Kind: String, Sendable {
        case exact, swapped, variant, jaroWinkler = "jaro-winkler", dayMonthSwap = "day-month-swap"
        case oneDigit = "one-digit", sector, district, other = "else"
        /// Generic mode: numbers (or dates, in days) at most `threshold` apart.
        case distance
    }
    public var kind: Kind
    public var threshold: Double
    public var termFrequency: Bool
    public var m: Double
    public var u: Double
}

public struct DeterministicRule: Sendable {
    public var name: String
    public var field: String
    /// Placeholder values that identify no one (UPN codes UN1–UN5).
    public var ignore: Set<[UInt8]>
    /// A pair sharing the value is not joined on it when its names and date
    /// of birth weigh below this (log2 Bayes factor, configured m and u):
    /// an id keyed for the wrong child. nil: the value is trusted alone.
    public var contradictedBelow: Double?
    /// Where the rule is in linkage.yaml, for messages.
    public var line = 0
}

public struct EventMatchRule: Sendable {
    public var eventType: String
    public var families: [String]
    public var windowDays: Int
    public var line = 0
    public var familiesLine = 0
}

/// `Pipelines/linkage.yaml`: the deterministic rules, the Fellegi–Sunter
/// model's comparisons and starting m/u values, blocking and thresholds, the
/// nickname table, and which events match across families.
public struct LinkageSettings: Sendable {
    public var deterministic: [DeterministicRule]
    public var guards: [String]
    public var comparisons: [LinkField: [ComparisonLevel]]
    public var blocking: [[String]]
    public var matchWeight: Double
    public var reviewWeight: Double
    public var maxBlock: Int
    public var minTrainingPairs: Int
    public var randomPairs: Int
    /// The most random pairs linkage.yaml may ask for (Splink's own
    /// examples go to 1e7 for estimating u).
    public static let maxRandomPairs = 10_000_000
    public var seed: UInt64
    /// Folded name → its group number; names in one group are variants.
    public var nicknameGroups: [[UInt8]: [Int]]
    public var eventMatching: [EventMatchRule]
    /// Generic mode: role → column of the input file, plus the dob format.
    public var columns: [String: String]
    public var dobFormat: String?
    /// Generic mode: comparisons of any other columns, scored beside the roles'.
    public var compare: [ColumnComparison] = []
    /// Where m comes from: pairs the identifiers joined, or expectation
    /// maximisation over the candidate pairs (no trusted identifier needed).
    public var training: Training = .identifiers
    public enum Training: String, Sendable { case identifiers, em }
    /// Generic mode without a probabilistic section: with EM, the match
    /// weight is where a candidate pair becomes more likely a match than not.
    public var thresholdsFromData = false
    /// The file read, and the line of `guards`, for messages.
    public var file = "linkage.yaml"
    public var guardsLine = 0

    public static let blockingKeys: Set<String> = Set(BlockingKeys.Component.allCases.filter { $0 != .none }.map(\.rawValue))

    /// `defaults`: the settings a generic-mode file leaves out (its
    /// probabilistic section, nicknames) come from these.
    public static func load(path: String, name: String, defaults: LinkageSettings? = nil) throws(PipelineError) -> LinkageSettings {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the linkage settings")
        let compare = try readCompare(&root, file: name)
        var deterministic: [DeterministicRule] = []
        for node in try root.list("deterministic") ?? [] {
            var m = try StrictMap(node, file: name, what: "a deterministic rule")
            let ignore = Set((try m.strings("ignore") ?? []).map { Array($0.utf8) })
            let below = try m.double("contradictedBelow")
            if let below, !below.isFinite { throw m.error("contradictedBelow", "contradictedBelow must be a number (not .nan or .inf)") }
            deterministic.append(DeterministicRule(name: try m.requiredString("rule"), field: try m.requiredString("field"), ignore: ignore,
                                                   contradictedBelow: below, line: m.lineOf("field")))
            try m.finish(allowed: ["rule", "field", "ignore", "contradictedBelow"])
        }
        let guards = try root.strings("guards") ?? []
        let guardsLine = root.lineOf("guards")

        guard var prob = try root.map("probabilistic") else {
            guard var settings = defaults else { throw PipelineError(file: name, line: root.line, "'probabilistic' is required") }
            return try settings.replacing(with: &root, file: name, deterministic: deterministic, guards: guards, compare: compare)
        }
        let minTraining = try prob.int("minTrainingPairs", default: 200, in: 0...)
        // Each random pair is drawn and compared: a number past this would hold the night for hours.
        let randomPairs = try prob.int("randomPairs", default: 200_000, in: 0...LinkageSettings.maxRandomPairs)
        // Any whole number will do as a seed, negative ones too.
        let seed = UInt64(bitPattern: Int64(try prob.int("seed") ?? 1))
        guard let matchWeight = try prob.double("matchWeight") else { throw prob.error("matchWeight", "'matchWeight' is required") }
        let reviewWeight = try prob.double("reviewWeight") ?? matchWeight
        // NaN compares false with every weight: nothing would ever merge, silently.
        if !matchWeight.isFinite { throw prob.error("matchWeight", "matchWeight must be a number (not .nan or .inf)") }
        if !reviewWeight.isFinite { throw prob.error("reviewWeight", "reviewWeight must be a number (not .nan or .inf)") }
        if reviewWeight > matchWeight { throw prob.error("reviewWeight", "reviewWeight must not be above matchWeight") }
        let maxBlock = try prob.int("maxBlock", default: 400, in: 2...)
        let comparisons = try readComparisons(&prob, file: name)
        var blocking: [[String]] = []
        let compareNames = Set(compare.map(\.column))
        for node in try prob.list("blocking") ?? [] {
            guard case .sequence(let seq) = node else { throw PipelineError(file: name, line: node.mark?.line ?? 0, "each blocking rule is a list of keys") }
            let keys = seq.compactMap { $0.string }
            // No key would put every record in one block: pairs of strangers, by the thousand.
            if keys.isEmpty { throw PipelineError(file: name, line: node.mark?.line ?? 0, "a blocking rule needs at least one key") }
            for k in keys where !blockingKeys.contains(k) && !compareNames.contains(k) {
                throw PipelineError(file: name, line: node.mark?.line ?? 0,
                                    "blocking key '\(k)' is not known (use \(blockingKeys.sorted().joined(separator: ", ")) or a compare: column)")
            }
            blocking.append(keys)
        }
        if blocking.isEmpty { throw prob.error("blocking", "at least one blocking rule is required") }
        try prob.finish()

        let groups = try readNicknames(&root) ?? defaults?.nicknameGroups ?? [:]
        var matching: [EventMatchRule] = []
        for node in try root.list("eventMatching") ?? [] {
            var m = try StrictMap(node, file: name, what: "an event matching rule")
            let fams = try m.strings("families") ?? []
            if Set(fams).count < 2 { throw m.error("families", "an event matching rule names at least two different families") }
            let window = try m.int("windowDays", default: 0, in: 0...366)
            matching.append(EventMatchRule(eventType: try m.requiredString("eventType"), families: fams, windowDays: window, line: m.line,
                                           familiesLine: m.lineOf("families")))
            try m.finish(allowed: ["eventType", "families", "windowDays"])
        }
        let (columns, dobFormat) = try readColumns(&root)
        let training = try readTraining(&root, deterministic: deterministic)
        try root.finish(allowed: allowedTopLevel)
        var settings = LinkageSettings(deterministic: deterministic, guards: guards, comparisons: comparisons, blocking: blocking,
                                       matchWeight: matchWeight, reviewWeight: reviewWeight, maxBlock: maxBlock,
                                       minTrainingPairs: minTraining, randomPairs: randomPairs, seed: seed,
                                       nicknameGroups: groups, eventMatching: matching, columns: columns, dobFormat: dobFormat,
                                       file: name, guardsLine: guardsLine)
        settings.compare = compare
        settings.training = training
        return settings
    }

    static let allowedTopLevel = ["deterministic", "guards", "probabilistic", "nicknames", "eventMatching", "columns", "compare", "training"]

    /// A generic-mode file with no probabilistic section: these settings'
    /// model, blocking and thresholds, with the file's own columns, rules,
    /// comparisons and training (EM when it has no identifier rule).
    mutating func replacing(with root: inout StrictMap, file name: String, deterministic rules: [DeterministicRule], guards g: [String],
                            compare c: [ColumnComparison]) throws(PipelineError) -> LinkageSettings {
        if let nick = try LinkageSettings.readNicknames(&root) { nicknameGroups = nick }
        (columns, dobFormat) = try LinkageSettings.readColumns(&root)
        training = try LinkageSettings.readTraining(&root, deterministic: rules)
        try root.finish(allowed: LinkageSettings.allowedTopLevel)
        (deterministic, guards, compare, eventMatching) = (rules, g, c, [])
        thresholdsFromData = training == .em
        (file, guardsLine) = (name, root.lineOf("guards"))
        return self
    }

    static func readNicknames(_ root: inout StrictMap) throws(PipelineError) -> [[UInt8]: [Int]]? {
        guard var nick = try root.map("nicknames") else { return nil }
        var groups: [[UInt8]: [Int]] = [:]
        for (g, key) in nick.keys.enumerated() {
            let forms = [key] + (try nick.strings(key) ?? [])
            for f in forms {
                let folded = normalisedName(f.utf8)
                if groups[folded]?.contains(g) != true { groups[folded, default: []].append(g) }
            }
        }
        try nick.finish()
        return groups
    }

    static func readColumns(_ root: inout StrictMap) throws(PipelineError) -> ([String: String], String?) {
        var columns: [String: String] = [:]
        var dobFormat: String?
        if var cols = try root.map("columns") {
            for k in cols.keys {
                if k == "dobFormat" { dobFormat = try cols.requiredString(k); continue }
                columns[k] = try cols.requiredString(k)
            }
            try cols.finish()
        }
        return (columns, dobFormat)
    }

    /// `training:` identifiers or em; by default em when no identifier rule could train the model.
    static func readTraining(_ root: inout StrictMap, deterministic: [DeterministicRule]) throws(PipelineError) -> Training {
        guard let text = try root.string("training") else { return deterministic.isEmpty ? .em : .identifiers }
        guard let t = Training(rawValue: text) else { throw root.error("training", "training '\(text)' is not known (use em or identifiers)") }
        return t
    }

    /// The level kinds a role's comparison may use (all but `distance`).
    static let roleKinds: [ComparisonLevel.Kind] = [.exact, .swapped, .variant, .jaroWinkler, .dayMonthSwap, .oneDigit, .sector, .district, .other]

    /// `probabilistic.comparisons`: each comparison's levels, the last `else`.
    static func readComparisons(_ prob: inout StrictMap, file name: String) throws(PipelineError) -> [LinkField: [ComparisonLevel]] {
        guard var comps = try prob.map("comparisons") else { throw prob.error("comparisons", "'comparisons' is required") }
        var comparisons: [LinkField: [ComparisonLevel]] = [:]
        for key in comps.keys {
            guard let field = LinkField(rawValue: key) else {
                throw comps.error(key, "'\(key)' is not a comparison (use \(LinkField.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var c = try comps.map(key)!
            var levels: [ComparisonLevel] = []
            for node in try c.list("levels") ?? [] {
                var l = try StrictMap(node, file: name, what: "a comparison level")
                levels.append(try readLevel(&l, allowed: roleKinds, requireMU: true))
            }
            guard levels.last?.kind == .other else { throw c.error("levels", "\(key): the last level must be 'else'") }
            comparisons[field] = levels
            try c.finish(allowed: ["levels"])
        }
        try comps.finish()
        return comparisons
    }

    /// linkage.yaml beside the contract, with every name it uses checked
    /// against the contract: the one way the merge and llr-dedupe read it.
    public static func load(contract: Pipelines) throws(PipelineError) -> LinkageSettings {
        let settings = try load(path: contract.directory + "/linkage.yaml", name: "linkage.yaml")
        try settings.check(against: contract)
        return settings
    }

    /// Every identifier field, guard, event type and family named here is
    /// one the contract has: a misspelt field (`field: nhs_numbr`) would
    /// turn NHS number linkage off without a word.
    public func check(against contract: Pipelines) throws(PipelineError) {
        let fields = ContractNames("an identifier field of the normalised returns", IdentifierColumn.allCases.map(\.rawValue))
        for rule in deterministic {
            try fields.check(rule.field, file: file, line: rule.line, in: "deterministic rule \(rule.name)")
        }
        let ruleFields = ContractNames("the field of a deterministic rule", deterministic.map(\.field))
        for g in guards { try ruleFields.check(g, file: file, line: guardsLine, in: "guards") }
        let types = ContractNames("a canonical event type (mappings.yaml)", contract.mappings.canonicalEventTypes)
        let families = ContractNames("a family", contract.families.keys)
        for rule in eventMatching {
            try types.check(rule.eventType, file: file, line: rule.line, in: "eventMatching")
            for f in rule.families { try families.check(f, file: file, line: rule.familiesLine, in: "eventMatching \(rule.eventType)") }
        }
    }
}

/// A name as the normaliser writes it (upper case, accents folded,
/// punctuation but hyphen and apostrophe dropped), so configured names and
/// generic-mode cells compare with normalised returns.
func normalisedName<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
    var out: [UInt8] = []
    Array(bytes).withUnsafeBufferPointer { TextNormalisation.name($0, into: &out) }
    return out
}
