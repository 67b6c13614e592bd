import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SynthOptions: Sendable {
    public var out: String
    public var quarters: [FinancialQuarter]
    public var scale = 1.0
    /// Children in the population (default: the LAs' under-18 counts, times the scale when below 1).
    public var children: Int?
    public var seed: UInt64 = 1
    /// Share of rows given an error the validator must find.
    public var errorRate = 0.0
    /// Share of rows whose partner id (or NHS number) is another child's:
    /// keyed wrong, so the id joins two children. The truth keeps the child.
    public var wrongIdRate = 0.0
    /// Write `_v2` files that correct some rows of an earlier version.
    public var resubmissions = false

    public init(out: String, quarters: [FinancialQuarter]) {
        self.out = out
        self.quarters = quarters
    }
}

public struct SynthSummary: Sendable {
    public var files: [String]
    public var rows: Int
    public var children: Int
    public var injected: Int
}

/// A spell reported every quarter while it is open (CP plan, care episode, early help).
struct Spell {
    var ref: String
    var event: Int
    var council: String
    var la: Int
    var child: Int
    var type: String
    var start: Int
    var end: Int
    var category: String
}

/// One row decided by the planner: who, what, when, which real-world event;
/// how it is written (spellings, missing values, injected errors) is left to
/// the renderer, with a generator seeded for this row alone.
enum RowPlan: Sendable {
    case police(child: Int, type: String, start: Int64, end: Int64?, event: Int, lookedAfter: Bool)
    case health(partner: String, child: Int, type: String, day: Int, event: Int)
    case council(council: String, child: Int, type: String, start: Int, end: Int?, ref: String, event: Int, category: String)
    case vcs(org: String, child: Int, service: String, day: Int, event: Int)
}

/// Writes synthetic returns for every partner and quarter, with the truth
/// behind them. Two stages on two cores: this planner decides the events
/// (children, dates, spells, cross-agency copies) in one random sequence;
/// a `RowRenderer` on a Dispatch queue turns each planned row into its
/// partner's bytes, in order, so the output is the same on any machine.
/// Streams: rows go straight to their files; what is kept is the population
/// and the open spells.
public final class SyntheticReturns {
    let pipelines: Pipelines
    let settings: SynthSettings
    let options: SynthOptions
    var rng: SynthRandom
    var population: Population
    var spells: [Spell] = []
    var inCare: [Int: Int] = [:]
    var serial = 0
    var eventSerial = 0
    var quarter: FinancialQuarter!
    let renderer: RowRenderer
    /// Per LA, the referrals so far (day, child), and each child's last referral day:
    /// a set share of referrals are re-referrals within 12 months, the rest first referrals.
    var referrals: [[(day: Int, child: Int)]] = []
    var lastReferral: [Int: Int] = [:]
    /// Planned rows not yet handed to the renderer.
    var batch: [RowPlan] = []
    var planned = 0
    /// "PARTNER|TYPE" → events of that type planned this quarter, for the commentary's own figures.
    var plannedEvents: [String: Int] = [:]

    public init(pipelines: Pipelines, settings: SynthSettings, options: SynthOptions) {
        self.pipelines = pipelines
        self.settings = settings
        self.options = options
        rng = SynthRandom(seed: options.seed)
        let all = settings.localAuthorities.reduce(0) { $0 + $1.children }
        let total = options.children ?? max(100, Int(Double(all) * min(1, options.scale)))
        let reference = options.quarters.min()!.firstDay.dayNumber
        population = Population(settings: settings, total: total, referenceDay: reference, seed: options.seed)
        renderer = RowRenderer(pipelines: pipelines, settings: settings, options: options, children: population.children)
        referrals = Array(repeating: [], count: settings.localAuthorities.count)
        batch.reserveCapacity(2048)
    }

    public func run() throws -> SynthSummary {
        for dir in [options.out, options.out + "/returns", options.out + "/truth"] { mkdir(dir, 0o755) }
        try renderer.start()
        for (i, q) in options.quarters.sorted().enumerated() {
            try writeQuarter(q, first: i == 0)
        }
        let summary = try renderer.finish()
        try writeCommentary()
        return summary
    }

    /// Queues a row for the renderer, with its own seed.
    func plan(_ p: RowPlan) {
        batch.append(p)
        if batch.count == 2048 { flushPlans() }
    }

    func flushPlans() {
        guard !batch.isEmpty else { return }
        renderer.submit(batch, firstIndex: planned)
        planned += batch.count
        batch.removeAll(keepingCapacity: true)
    }

    // MARK: Quarters

    func writeQuarter(_ q: FinancialQuarter, first: Bool) throws {
        quarter = q
        plannedEvents = [:]
        var resubmit: Set<String> = []
        for p in pipelines.registry.partners where options.resubmissions && derivedChance(0.25, p.code, q) { resubmit.insert(p.code) }
        try renderer.openQuarter(q, resubmit: resubmit)
        if first { openInitialSpells() }
        let qDays = Double(q.lastDay.dayNumber - q.firstDay.dayNumber + 1)
        for (laIndex, la) in settings.localAuthorities.enumerated() {
            for (partner, types) in la.perYear {
                for (type, perYear) in types {
                    let n = rng.count(mean: Double(perYear) * options.scale * qDays / 365)
                    for _ in 0..<n { try event(partner: partner, type: type, la: laIndex) }
                }
            }
            for (type, stock) in la.stock {
                let days = Double(settings.spellDays[type] ?? 365)
                let starts = rng.count(mean: Double(stock) * options.scale * qDays / days)
                for _ in 0..<starts { startSpell(type: type, la: laIndex, council: la.council, startDay: randomDay()) }
            }
        }
        try writeSpells()
        flushPlans()
        try renderer.closeQuarter()
    }

    func derivedChance(_ p: Double, _ code: String, _ q: FinancialQuarter) -> Bool {
        var h: UInt64 = 1469598103934665603
        for b in code.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        var r = SynthRandom.derived(seed: options.seed, h, UInt64(q.startYear * 10 + q.quarter))
        return r.chance(p)
    }

    func randomDay() -> Int {
        quarter.firstDay.dayNumber + rng.below(quarter.lastDay.dayNumber - quarter.firstDay.dayNumber + 1)
    }

    func nextSerial() -> Int { serial += 1; return serial }
    func nextEvent() -> Int { eventSerial += 1; return eventSerial }

    /// The commentary returns of volumes.yaml for the last quarter, in the
    /// columns of the family any partner may send whose rows are not events.
    func writeCommentary() throws {
        guard !settings.commentary.isEmpty else { return }
        guard let schema = pipelines.families.values.first(where: { $0.anyPartner && !$0.producesEvents }) else {
            throw SynthError("volumes.yaml has commentary, and Pipelines/families/ has no family any partner sends whose rows are not events")
        }
        for (partner, lines) in settings.commentary {
            let name = ReturnFileName(partner: partner, family: schema.name, quarter: quarter)
            let out = try CSVOutput(path: options.out + "/returns/" + name.conventional, header: schema.fields.map(\.name), escapeFormulas: false, level: 1)
            for line in lines {
                let own = line.countOf.map { String((plannedEvents[partner + "|" + $0] ?? 0) + line.plus) }
                let cells = ["measure": line.measure, "value": own ?? line.value, "numerator": own ?? line.numerator, "denominator": line.denominator,
                             "commentary": line.commentary, "action": line.action]
                try out.writeRow { r in for f in schema.fields { r.add(cells[schema.roles.first { $0.value == f.name }?.key ?? ""] ?? "") } }
            }
            try out.commit()
        }
    }

    // MARK: Events

    func event(partner: String, type: String, la: Int) throws {
        guard let p = pipelines.registry.partner(code: partner) else { throw SynthError("volumes.yaml names partner \(partner), which is not in partners.yaml") }
        if settings.spellDays[type] != nil && p.family == "council" {
            startSpell(type: type, la: la, council: partner, startDay: randomDay())
            return
        }
        let day = randomDay()
        plannedEvents[partner + "|" + type, default: 0] += 1
        let child: Int
        if type == "MISSING_EPISODE" {
            child = population.pickMissing(la: la, &rng)
        } else if type == "REFERRAL" && p.family == "council" {
            child = pickReferral(la: la, day: day)
        } else {
            child = population.pick(la: la, &rng)
        }
        let ev = nextEvent()
        switch p.family {
        case "police":
            let start = Int64(day) * 1440 + Int64(rng.below(1440))
            var end: Int64? = nil
            if type == "MISSING_EPISODE" && rng.chance(0.95) { end = start + Int64(60 * (2 + rng.below(70))) }
            plan(.police(child: child, type: type, start: start, end: end, event: ev, lookedAfter: inCare[child] != nil))
            if type == "MISSING_EPISODE" && rng.chance(settings.councilRecordsPoliceMissing) {
                let council = settings.localAuthorities[population.children[child].la].council
                let cday = min(day + rng.below(2), quarter.lastDay.dayNumber)
                let cend = end.map { max(Minutes.day($0), cday) }.map { min($0, quarter.lastDay.dayNumber) }
                plan(.council(council: council, child: child, type: "MISSING_EPISODE", start: cday, end: cend, ref: "\(council)-\(nextSerial())", event: ev, category: ""))
            }
        case "health":
            plan(.health(partner: partner, child: child, type: type, day: day, event: ev))
        case "council":
            var end: Int? = nil
            if type == "S47_ENQUIRY" {
                let e = day + 5 + rng.below(40)
                if e <= quarter.lastDay.dayNumber { end = e }
            }
            plan(.council(council: partner, child: child, type: type, start: day, end: end, ref: "\(partner)-\(nextSerial())", event: ev, category: ""))
        case "vcs":
            plan(.vcs(org: partner, child: child, service: type, day: day, event: ev))
        default:
            throw SynthError("no writer for family \(p.family)")
        }
    }

    /// A re-referral (someone referred in the last 12 months) at the LA's
    /// published rate, otherwise a child not referred in that time.
    func pickReferral(la: Int, day: Int) -> Int {
        let history = referrals[la]
        var child = -1
        if !history.isEmpty && rng.chance(settings.localAuthorities[la].reReferralRate) {
            for _ in 0..<8 {
                let h = history[history.count - 1 - rng.below(min(history.count, 4000))]
                if abs(day - h.day) <= 365 && h.child >= 0 { child = h.child; break }
            }
        }
        if child < 0 {
            for attempt in 0..<16 {
                child = population.pick(la: la, &rng)
                guard let last = lastReferral[child], abs(day - last) <= 365, attempt < 15 else { break }
            }
        }
        referrals[la].append((day, child))
        if referrals[la].count > 8000 { referrals[la].removeFirst(4000) }
        lastReferral[child] = max(lastReferral[child] ?? day, day)
        return child
    }

    // MARK: Spells

    func openInitialSpells() {
        for (laIndex, la) in settings.localAuthorities.enumerated() {
            for (type, stock) in la.stock {
                let days = settings.spellDays[type] ?? 365
                for _ in 0..<rng.count(mean: Double(stock) * options.scale) {
                    // Some plans open now began long ago (plans open two years or more).
                    let span = type == "CP_PLAN" && rng.chance(settings.longOpenPlans) ? 3 * 365 : days
                    startSpell(type: type, la: laIndex, council: la.council, startDay: quarter.firstDay.dayNumber - 1 - rng.below(span), alreadyOpen: true)
                }
            }
        }
    }

    /// Spell lengths are spread evenly from half to one and a half times the
    /// mean, so the number open settles at the published stock. A spell
    /// already open when the first quarter starts has the remaining length
    /// such spells have on average (13/24 of the mean, spread evenly).
    func startSpell(type: String, la: Int, council: String, startDay: Int, alreadyOpen: Bool = false) {
        let child = population.pick(la: la, &rng)
        let c = population.children[child]
        let start = max(startDay, c.dob + 30)
        let mean = Double(settings.spellDays[type] ?? 365)
        let end = alreadyOpen
            ? quarter.firstDay.dayNumber + Int(rng.unit() * mean * 13 / 12)
            : start + 1 + Int(mean * (0.5 + rng.unit()))
        let category = type == "CP_PLAN" ? rng.pick(SynthText.cpCategories) : ""
        spells.append(Spell(ref: "\(council)-S\(nextSerial())", event: nextEvent(), council: council, la: la, child: child, type: type,
                            start: start, end: end, category: category))
        if type == "CLA_EPISODE" {
            inCare[child, default: 0] += 1
            if start >= quarter.firstDay.dayNumber, rng.chance(settings.lacInitialAssessments) {
                let day = min(start + 5 + rng.below(20), quarter.lastDay.dayNumber)
                plan(.health(partner: "LPT", child: child, type: "LAC_INITIAL_HEALTH_ASSESSMENT", day: day, event: nextEvent()))
            }
        }
    }

    /// Every open spell appears in its council's return, with its end date in the quarter it closes.
    func writeSpells() throws {
        let last = quarter.lastDay.dayNumber
        var still: [Spell] = []
        for s in spells {
            let closes = s.end <= last
            plan(.council(council: s.council, child: s.child, type: s.type, start: s.start, end: closes ? s.end : nil, ref: s.ref, event: s.event, category: s.category))
            if s.type == "CLA_EPISODE" && rng.chance(settings.lacReviewsPerYear / 4) {
                plan(.health(partner: "LPT", child: s.child, type: "LAC_REVIEW_HEALTH_ASSESSMENT", day: randomDay(), event: nextEvent()))
            }
            if closes {
                if s.type == "CLA_EPISODE" {
                    inCare[s.child, default: 1] -= 1
                    if inCare[s.child] == 0 { inCare[s.child] = nil }
                }
            } else {
                still.append(s)
            }
        }
        spells = still
    }
}
