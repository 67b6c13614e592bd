import LLRCore
import Foundation

/// Whether two records that share an identifier look like one child: the
/// weight of their forenames, surnames and dates of birth alone, with the
/// m and u that linkage.yaml gives (the model is trained on the pairs the
/// identifiers join, so it cannot judge them). A shared id on two records
/// whose names and birth dates all disagree was keyed for the wrong child.
struct IdentityCheck {
    private let forenameLevels: [ComparisonLevel], surnameLevels: [ComparisonLevel], dobLevels: [ComparisonLevel]
    private let forenameWeights: [Double], surnameWeights: [Double], dobWeights: [Double]
    /// The lowest weight the names can add: below the dob's weight plus
    /// this, the names need not be compared.
    private let lowestNames: Double
    private let nicknames: NicknameLookup

    init(settings: LinkageSettings) {
        func levels(_ f: LinkField) -> [ComparisonLevel] { settings.comparisons[f] ?? [] }
        func weights(_ l: [ComparisonLevel]) -> [Double] { l.map { log2($0.m / $0.u) } }
        forenameLevels = levels(.forename); surnameLevels = levels(.surname); dobLevels = levels(.dob)
        forenameWeights = weights(forenameLevels); surnameWeights = weights(surnameLevels); dobWeights = weights(dobLevels)
        lowestNames = min(0, forenameWeights.min() ?? 0) + min(0, surnameWeights.min() ?? 0)
        nicknames = NicknameLookup(settings.nicknameGroups)
    }

    /// Whether records `a` and `b` weigh at least `limit` on names and dob.
    func agrees(_ a: Int, _ b: Int, _ records: PersonRecords, arena: UnsafeBufferPointer<UInt8>, limit: Double) -> Bool {
        weight(a, b, records, arena: arena, atLeast: limit) >= limit
    }

    /// The names-and-dob weight of two records; stops early (returning a
    /// weight at or above `atLeast`) once the names cannot bring it below.
    func weight(_ a: Int, _ b: Int, _ records: PersonRecords, arena: UnsafeBufferPointer<UInt8>, atLeast: Double = .infinity) -> Double {
        var w = 0.0
        let da = records.dob[a], db = records.dob[b]
        if da != 0 && db != 0, let k = dobLevel(compareDOB(da, db)) { w += dobWeights[k] }
        if w + lowestNames >= atLeast { return w + lowestNames }
        let fa = spanBytes(arena, records.forename[a]), fb = spanBytes(arena, records.forename[b])
        let sa = spanBytes(arena, records.surname[a]), sb = spanBytes(arena, records.surname[b])
        let swapped = namesSwapped(fa, sa, fb, sb)
        var variant = false
        if !swapped, fa.count > 0, fb.count > 0, !same(fa, fb), let ga = nicknames.groups(of: fa), let gb = nicknames.groups(of: fb) {
            variant = shareNicknameGroup(ga, gb)
        }
        let f = nameLevel(forenameLevels, fa, fb, swapped: swapped, variant: variant)
        if f >= 0 { w += forenameWeights[Int(f)] }
        // Swapped names are one piece of evidence, counted on the forename only.
        let s = swapped ? -1 : nameLevel(surnameLevels, sa, sb, swapped: false, variant: false)
        if s >= 0 { w += surnameWeights[Int(s)] }
        return w
    }

    /// The first dob level an agreement meets (`else` meets every one).
    private func dobLevel(_ agreement: DOBAgreement) -> Int? {
        dobLevels.firstIndex { l in
            switch l.kind {
            case .exact: return agreement == .exact
            case .dayMonthSwap: return agreement == .dayMonthSwap
            case .oneDigit: return agreement == .oneDigit
            case .other: return true
            default: return false
            }
        }
    }
}
