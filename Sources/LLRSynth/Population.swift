import LLRCore

/// One synthetic child: who they really are. Each agency's record of them is
/// drawn from this, with the variations that agency's data really shows.
struct Child {
    var la: Int
    var group: Int
    var notStated: Bool
    var female: Bool
    var forename: String
    var surname: String
    var dob: Int
    var district: String
    var postcode: String
    var postcodeNoSpace: String
    /// Ten digits with a valid modulus 11 check digit.
    var nhs: String
    /// Thirteen characters with a valid check letter, or empty (under school age).
    var upn: String
    var weight: Double
}

/// All children of LLR (or `--children` of them), and for each local
/// authority a picker that favours the few children who generate most events.
struct Population {
    var children: [Child]
    /// Per LA: the children's indexes and a weighted picker over them.
    var members: [[Int]]
    var pickers: [WeightedPicker]
    /// Per LA: the children who go missing, and how many episodes each LA has had so far.
    var missingCohorts: [[Int]]
    var missingPickers: [WeightedPicker]
    var missingEpisodes: [Int]

    init(settings: SynthSettings, total: Int, referenceDay: Int, seed: UInt64) {
        let las = settings.localAuthorities
        let allChildren = las.reduce(0) { $0 + $1.children }
        var children: [Child] = []
        var members: [[Int]] = []
        children.reserveCapacity(total)
        for (laIndex, la) in las.enumerated() {
            let n = max(1, Int((Double(total) * Double(la.children) / Double(max(1, allChildren))).rounded()))
            let groupPicker = WeightedPicker(settings.shares[la.code]!.map(Double.init))
            let districtPicker = WeightedPicker(la.districts.map { Double($0.1) })
            var ids: [Int] = []
            for _ in 0..<n {
                var r = SynthRandom.derived(seed: seed, UInt64(children.count), 0xC41D)
                let g = groupPicker.pick(&r)
                let group = settings.groups[g]
                let female = r.chance(0.5)
                let forename = female ? r.pick(group.female) : r.pick(group.male)
                // Ages 0–17 on the reference day; nobody born in the last month.
                let dob = referenceDay - 30 - r.below(17 * 365)
                let district = la.districts[districtPicker.pick(&r)].0
                let inward = "\(r.below(10))\(postcodeLetter(&r))\(postcodeLetter(&r))"
                let ageYears = (referenceDay - dob) / 365
                let upn = ageYears >= 5 ? makeUPN(&r) : ""
                // Pareto weights: a few children generate most events, as in life.
                let weight = 1 / pow(max(r.unit(), 1e-9), 1 / 1.3)
                ids.append(children.count)
                children.append(Child(
                    la: laIndex, group: g, notStated: r.chance(settings.notStatedShare), female: female, forename: forename,
                    surname: r.pick(group.surnames), dob: dob, district: district, postcode: district + " " + inward,
                    postcodeNoSpace: district + inward, nhs: makeNHSNumber(&r),
                    upn: upn, weight: weight))
            }
            members.append(ids)
        }
        self.children = children
        self.members = members
        pickers = members.map { ids in WeightedPicker(ids.map { children[$0].weight }) }
        var cohorts: [[Int]] = []
        for (laIndex, la) in las.enumerated() {
            var r = SynthRandom.derived(seed: seed, UInt64(laIndex), 0x5151)
            let ids = members[laIndex]
            let size = min(ids.count, max(1, Int((Double(la.missingChildren) * Double(total) / Double(max(1, allChildren))).rounded())))
            var picked = Set<Int>()
            var cohort: [Int] = []
            while cohort.count < size {
                let c = ids[r.below(ids.count)]
                if picked.insert(c).inserted { cohort.append(c) }
            }
            cohorts.append(cohort)
        }
        missingCohorts = cohorts
        missingPickers = cohorts.map { ids in WeightedPicker(ids.map { children[$0].weight }) }
        missingEpisodes = Array(repeating: 0, count: las.count)
    }

    /// A child for a missing episode: each of the cohort once, then the ones who go missing most.
    mutating func pickMissing(la: Int, _ r: inout SynthRandom) -> Int {
        let k = missingEpisodes[la]
        missingEpisodes[la] += 1
        let cohort = missingCohorts[la]
        return k < cohort.count ? cohort[k] : cohort[missingPickers[la].pick(&r)]
    }

    mutating func pick(la: Int, _ r: inout SynthRandom) -> Int {
        members[la][pickers[la].pick(&r)]
    }
}

/// Postcode unit letters never use C, I, K, M, O or V.
private let unitLetters = Array("ABDEFGHJLNPQRSTUWXYZ")

func postcodeLetter(_ r: inout SynthRandom) -> Character {
    unitLetters[r.below(unitLetters.count)]
}

/// A ten-digit NHS number with a valid modulus 11 check digit, never in the 999 test range.
public func makeNHSNumber(_ r: inout SynthRandom) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { d in
        while true {
            var sum = 0
            for i in 0..<9 {
                var v = r.below(10)
                if i == 0 && v == 9 { v = 4 }  // never the 999 test range
                d[i] = UInt8(48 + v)
                sum += v * (10 - i)
            }
            var check = 11 - sum % 11
            if check == 11 { check = 0 }
            if check == 10 { continue }
            d[9] = UInt8(48 + check)
            return String(decoding: d, as: UTF8.self)
        }
    }
}

/// A UPN: check letter, an LA number (855–857 here), then nine digits.
func makeUPN(_ r: inout SynthRandom) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 13) { u in
        u[1] = 56; u[2] = 53; u[3] = UInt8(53 + r.below(3))
        for i in 4..<13 { u[i] = UInt8(48 + r.below(10)) }
        var sum = 0
        for i in 1..<13 { sum += Int(u[i] - 48) * (i + 1) }
        u[0] = upnAlphabet[sum % 23]
        return String(decoding: u, as: UTF8.self)
    }
}

private let upnAlphabet = Array("ABCDEFGHJKLMNPQRTUVWXYZ".utf8)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
