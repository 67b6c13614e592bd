import Dispatch
import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The families llr-synth writes, as indexes into per-family tables.
enum Family: Int, CaseIterable {
    case police, health, council, vcs
    var name: String { ["police", "health", "council", "vcs"][rawValue] }
}

/// How one row is spoiled, if it is: the finding code the validator must give.
enum Injection {
    case none
    case cell(String)
    case extraCell
    case duplicate
}

/// Turns planned rows into each partner's bytes and the truth rows, on its
/// own Dispatch queue, in the order they were planned. Every spelling,
/// omission and injected error is drawn from a generator seeded for that
/// row alone, so the bytes do not depend on timing.
final class RowRenderer: @unchecked Sendable {
    let pipelines: Pipelines
    let settings: SynthSettings
    let options: SynthOptions
    /// The population, read only.
    let children: [Child]
    var rng = SynthRandom(seed: 0)
    var serial = 0
    var rowsWritten = 0
    var injectedCount = 0
    /// Which children appear in any row (for truth/persons.csv).
    var appeared: [Bool]
    /// Each LA as officers type it.
    let laForms: [[String]]
    /// Per group, the code each family records (and for "not stated").
    let groupCodes: [[String]]
    let notStatedCodes: [String]
    /// Each name's spelling variants, both ways round (Tom ↔ Thomas).
    let variants: [String: [String]]
    var truth: TextOutput!
    var files: [String] = []
    var writers: [String: ReturnWriter] = [:]
    var resubmitted: [String: ReturnWriter] = [:]
    var quarter: FinancialQuarter!
    /// The row being built, reused from row to row.
    var row = RowCells()

    // Only the queue touches the state above once rendering starts; the
    // planner waits on it (sync) at quarter ends and at the finish.
    private let queue = DispatchQueue(label: "llr-synth rows")
    private let inFlight = DispatchSemaphore(value: 4)
    private let failureLock = MutexLock()
    private var failure: Error?

    init(pipelines: Pipelines, settings: SynthSettings, options: SynthOptions, children: [Child]) {
        self.pipelines = pipelines
        self.settings = settings
        self.options = options
        self.children = children
        var v: [String: [String]] = [:]
        for (name, forms) in settings.variants.sorted(by: { $0.key < $1.key }) {
            v[name, default: []] += forms
            for f in forms { v[f, default: []].append(name) }
        }
        variants = v
        appeared = Array(repeating: false, count: children.count)
        groupCodes = settings.groups.map { g in Family.allCases.map { g.codes[$0.name] ?? "" } }
        notStatedCodes = Family.allCases.map { settings.notStated[$0.name] ?? "" }
        laForms = settings.localAuthorities.map { a in
            [a.name, a.name, a.code, a.name.uppercased()] + (a.name == "Leicestershire" ? ["Leics"] : [a.name])
        }
    }

    private func record(_ e: Error) { failureLock.withLock { if failure == nil { failure = e } } }
    private func check() throws { if let e = failureLock.withLock({ failure }) { throw e } }

    func start() throws {
        truth = try TextOutput(path: options.out + "/truth/records.csv", header: ["file", "rowNumber", "person", "event", "injected"])
    }

    func openQuarter(_ q: FinancialQuarter, resubmit: Set<String>) throws {
        try check()
        try queue.sync {
            quarter = q
            writers = [:]
            resubmitted = [:]
            for p in pipelines.registry.partners {
                guard let schema = pipelines.families[p.family] else { continue }
                let name = ReturnFileName(partner: p.code, family: p.family, quarter: q)
                writers[p.code] = try ReturnWriter(directory: options.out + "/returns", name: name, schema: schema)
                if resubmit.contains(p.code) {
                    var v2 = name
                    v2.version = 2
                    let second = try ReturnWriter(directory: options.out + "/returns", name: v2, schema: schema)
                    resubmitted[p.code] = second
                    writers[p.code]!.resubmission = second
                }
            }
        }
    }

    /// Renders a batch after those before it; waits when four are queued.
    func submit(_ batch: [RowPlan], firstIndex: Int) {
        inFlight.wait()
        queue.async { [self] in
            defer { inFlight.signal() }
            if failureLock.withLock({ failure }) != nil { return }
            do {
                for (k, p) in batch.enumerated() {
                    rng = SynthRandom.derived(seed: options.seed, UInt64(firstIndex + k), 0x2EED)
                    try render(p)
                }
            } catch { record(error) }
        }
    }

    func render(_ p: RowPlan) throws {
        switch p {
        case .police(let child, let type, let start, let end, let event, let lookedAfter):
            try writePolice(child: child, type: type, start: start, end: end, event: event, lookedAfter: lookedAfter)
        case .health(let partner, let child, let type, let day, let event):
            try writeHealth(partner, child: child, type: type, day: day, event: event)
        case .council(let council, let child, let type, let start, let end, let ref, let event, let category):
            try writeCouncil(council, child: child, type: type, start: start, end: end, ref: ref, event: event, category: category)
        case .vcs(let org, let child, let service, let day, let event):
            try writeVCS(org, child: child, service: service, day: day, event: event)
        }
    }

    func closeQuarter() throws {
        try queue.sync {
            try check()
            let q = quarter!
            for code in writers.keys.sorted() {
                try writers[code]!.commit()
                files.append(writers[code]!.fileName)
                setReturnDate(options.out + "/returns/" + writers[code]!.fileName, quarter: q, version: 1)
            }
            for code in resubmitted.keys.sorted() {
                try resubmitted[code]!.commit()
                files.append(resubmitted[code]!.fileName)
                setReturnDate(options.out + "/returns/" + resubmitted[code]!.fileName, quarter: q, version: 2)
            }
        }
    }

    func finish() throws -> SynthSummary {
        try queue.sync {
            try check()
            try truth.commit()
            try writePersons()
            return SynthSummary(files: files, rows: rowsWritten, children: appeared.filter { $0 }.count, injected: injectedCount)
        }
    }

    func nextSerial() -> Int { serial += 1; return serial }

    // MARK: Writing a row with its truth

    /// Writes the row built in `row` (maybe spoiled by `inject`) to the
    /// partner's return, its truth row, and its line in a resubmission when
    /// there is one.
    func emit(_ writer: ReturnWriter, _ row: inout RowCells, child: Int, event: Int, inject: (inout RowCells) -> Injection) throws {
        appeared[child] = true
        var injection = Injection.none
        if options.errorRate > 0 && rng.chance(options.errorRate) {
            injection = inject(&row)
            if case .extraCell = injection { row.extraCell = true }
            injectedCount += 1
        }
        func record(_ w: ReturnWriter, spoiled: Bool) throws {
            var code = ""
            if spoiled {
                switch injection {
                case .none, .duplicate: break
                case .cell(let c): code = c
                case .extraCell: code = "extra-cell"
                }
            }
            let rowNumber = try w.write(row, spoiled: spoiled)
            rowsWritten += 1
            try truth.row { r in r.addVerbatim(w.fileNameCell); r.add(rowNumber); r.add("P", child + 1); r.add("E", event); r.add(code) }
            if spoiled, case .duplicate = injection {
                let again = try w.write(row, spoiled: true)
                rowsWritten += 1
                try truth.row { r in r.addVerbatim(w.fileNameCell); r.add(again); r.add("P", child + 1); r.add("E", event); r.add("duplicate-row") }
            }
        }
        let spoiled: Bool
        if case .none = injection { spoiled = false } else { spoiled = true }
        try record(writer, spoiled: spoiled)
        if let v2 = writer.resubmission {
            // The resubmission corrects most of the rows that were wrong.
            try record(v2, spoiled: spoiled && !rng.chance(0.7))
        }
    }

    // MARK: The child as each agency records them

    func forename(_ c: Child, typo: Double, variant: Double) -> String {
        var name = c.forename
        if rng.chance(variant), let v = variants[name], !v.isEmpty { name = rng.pick(v) }
        if rng.chance(typo) { name = misspell(name) }
        return name
    }

    func surname(_ c: Child, typo: Double) -> String {
        rng.chance(typo) ? misspell(c.surname) : c.surname
    }

    /// One slip of the keyboard: two letters swapped, one dropped, or one doubled.
    func misspell(_ s: String) -> String {
        var chars = Array(s)
        guard chars.count >= 4 else { return s }
        let i = 1 + rng.below(chars.count - 2)
        switch rng.below(3) {
        case 0: chars.swapAt(i, i + 1)
        case 1: chars.remove(at: i)
        default: chars.insert(chars[i], at: i)
        }
        return String(chars)
    }

    /// The date of birth as recorded: now and then a day/month swap or a
    /// slipped digit, kept only while the child is still 0–17 at the event.
    func recordedDOB(_ c: Child, eventDay: Int, slip: Double) -> Int {
        guard rng.chance(slip) else { return c.dob }
        let d = CivilDate(dayNumber: c.dob)
        var candidate = c.dob
        if rng.chance(0.5) && d.day <= 12 && d.day != d.month {
            candidate = CivilDate.dayNumber(year: d.year, month: d.day, day: d.month)
        } else {
            candidate = c.dob + (rng.chance(0.5) ? 1 : -1) * (1 + rng.below(9))
        }
        let age = CivilDate.age(born: CivilDate(dayNumber: candidate), at: CivilDate(dayNumber: eventDay))
        return candidate < eventDay && age >= 0 && age <= 17 ? candidate : c.dob
    }

    func postcode(_ c: Child, spaceless: Double) -> String {
        let p = rng.chance(spaceless) ? c.postcodeNoSpace : c.postcode
        return rng.chance(0.1) ? p.lowercased() : p
    }

    func groupCode(_ c: Child, _ family: Family) -> String {
        c.notStated ? notStatedCodes[family.rawValue] : groupCodes[c.group][family.rawValue]
    }

    func dateText(_ field: ReturnWriter.DateField, _ writer: ReturnWriter, minutes: Int64) -> String {
        writer.dateFormats[field.rawValue].format(minutes)
    }

    /// An LA as an officer types it: its name, its ONS code, shouting, or short.
    func laName(_ la: Int) -> String {
        rng.pick(laForms[la])
    }

    // MARK: Police

    func writePolice(child: Int, type: String, start: Int64, end: Int64?, event: Int, lookedAfter: Bool) throws {
        let c = children[child]
        let w = writers["LP"]!
        let day = Minutes.day(start)
        var first = forename(c, typo: 0.03, variant: 0.05), last = surname(c, typo: 0.03)
        // Niche often holds surnames in capitals; now and then the two names swap.
        if rng.chance(0.3) { last = last.uppercased() }
        if rng.chance(0.01) { swap(&first, &last) }
        // Built in a local buffer: no exclusivity check per cell on the generator's property.
        var cells = RowCells()
        swap(&cells, &row)
        defer { swap(&cells, &row) }
        cells.reset()
        cells.add("LP-", 100_000 + nextSerial())
        if rng.chance(0.85) { cells.add("NP-", 500_000 + keyedChild(child)) } else { cells.addEmpty() }
        cells.add(type)
        cells.add(dateText(.reportedAt, w, minutes: start))
        if let end { cells.add(dateText(.endedAt, w, minutes: end)) } else { cells.addEmpty() }
        cells.add(first)
        cells.add(last)
        cells.add(dateText(.dob, w, minutes: Int64(recordedDOB(c, eventDay: day, slip: 0.02)) * 1440))
        cells.add(rng.chance(0.01) ? "U" : (c.female ? "F" : "M"))
        cells.add(groupCode(c, .police))
        if rng.chance(0.95) { cells.add(postcode(c, spaceless: 0.2)) } else { cells.addEmpty() }
        if rng.chance(0.8) { cells.add(laName(c.la)) } else { cells.addEmpty() }
        cells.add(rng.chance(0.02) ? "U" : (lookedAfter ? "Y" : "N"))
        if lookedAfter && rng.chance(0.5) { cells.add(laName(c.la)) } else { cells.addEmpty() }
        try emit(w, &cells, child: child, event: event) { row in
            switch rng.below(6) {
            case 0: row.override(3, "31/02/\(CivilDate(dayNumber: day).year) 10:00"); return .cell("type-error")
            case 1: row.override(8, "X"); return .cell("constraint-error")
            case 2: row.override(6, ""); return .cell("constraint-error")
            case 3: return .extraCell
            case 4: row.override(4, dateText(.endedAt, w, minutes: start - 60)); return .cell("date-order")
            default:
                if rng.chance(0.5) { return .duplicate }
                row.override(7, "01/01/2090"); return .cell("future-date")
            }
        }
    }

    // MARK: Health

    func writeHealth(_ partner: String, child: Int, type: String, day: Int, event: Int) throws {
        let c = children[child]
        let w = writers[partner]!
        // Built in a local buffer: no exclusivity check per cell on the generator's property.
        var cells = RowCells()
        swap(&cells, &row)
        defer { swap(&cells, &row) }
        cells.reset()
        cells.add(partner == "UHL" ? "UHL-E" : partner == "LPT" ? "LPT-E" : "ICB-E", nextSerial())
        // A number keyed wrong is mostly the local one; a valid NHS number of
        // another child (picked from a list, not typed) is rarer still.
        let keyed = keyedChild(child)
        let nhs = keyed != child && rng.chance(0.2) ? children[keyed].nhs : c.nhs
        if rng.chance(0.9) {
            cells.add(rng.chance(0.3) ? "\(nhs.prefix(3)) \(nhs.dropFirst(3).prefix(3)) \(nhs.suffix(4))" : nhs)
        } else {
            cells.addEmpty()
        }
        cells.add(partner == "UHL" ? "RWE" : partner == "LPT" ? "LPT" : "ICB", (partner == "UHL" ? 4_000_000 : 700_000) + (nhs == c.nhs ? keyed : child))
        cells.add(forename(c, typo: 0.01, variant: 0.03))
        cells.add(surname(c, typo: 0.01))
        cells.add(dateText(.dob, w, minutes: Int64(c.dob) * 1440))
        cells.add(rng.chance(0.01) ? "0" : (c.female ? "2" : "1"))
        cells.add(groupCode(c, .health))
        if rng.chance(0.97) { cells.add(postcode(c, spaceless: 0.1)) } else { cells.addEmpty() }
        cells.add("C8", 2000 + child % 900)
        cells.add(type)
        cells.add(dateText(.eventDate, w, minutes: Int64(day) * 1440))
        try emit(w, &cells, child: child, event: event) { row in
            switch rng.below(6) {
            case 0: row.override(11, "\(CivilDate(dayNumber: day).year)-02-30"); return .cell("type-error")
            case 1: row.override(6, "M"); return .cell("constraint-error")
            case 2: row.override(2, ""); return .cell("constraint-error")
            case 3: return .extraCell
            case 4: row.override(1, breakCheckDigit(c.nhs)); return .cell("nhs-number-checksum")
            default:
                if rng.chance(0.5) { return .duplicate }
                row.override(5, "2090-01-01"); return .cell("future-date")
            }
        }
    }

    /// The child whose id is keyed for `child`'s row: with `wrongIdRate`,
    /// one digit of the number typed wrong (±1, 10, 100 or 1000 children
    /// along), so it names another child. No draw at a rate of 0, so the
    /// sample is the same with the option off.
    func keyedChild(_ child: Int) -> Int {
        guard options.wrongIdRate > 0, rng.chance(options.wrongIdRate) else { return child }
        let step = rng.pick([1, 10, 100, 1000]) * (rng.chance(0.5) ? 1 : -1)
        return ((child + step) % children.count + children.count) % children.count
    }

    func breakCheckDigit(_ nhs: String) -> String {
        let last = Int(String(nhs.last!))!
        return String(nhs.dropLast()) + String((last + 1) % 10)
    }

    // MARK: Council

    func writeCouncil(_ council: String, child: Int, type: String, start: Int, end: Int?, ref: String, event: Int, category: String) throws {
        let c = children[child]
        let w = writers[council]!
        // Built in a local buffer: no exclusivity check per cell on the generator's property.
        var cells = RowCells()
        swap(&cells, &row)
        defer { swap(&cells, &row) }
        cells.reset()
        cells.add(ref)
        cells.add(w.childIDPrefix, 300_000 + keyedChild(child))
        if !c.upn.isEmpty {
            if rng.chance(0.8) { cells.add(c.upn) } else { cells.addEmpty() }
        } else if rng.chance(0.3) {
            cells.add("UN", 1 + rng.below(5))
        } else {
            cells.addEmpty()
        }
        if rng.chance(0.5) { cells.add(c.nhs) } else { cells.addEmpty() }
        cells.add(forename(c, typo: 0.005, variant: 0.02))
        cells.add(surname(c, typo: 0.005))
        cells.add(dateText(.dob, w, minutes: Int64(c.dob) * 1440))
        cells.add(c.female ? "F" : "M")
        cells.add(groupCode(c, .council))
        if rng.chance(0.97) { cells.add(postcode(c, spaceless: 0.05)) } else { cells.addEmpty() }
        cells.add(type)
        cells.add(dateText(.startDate, w, minutes: Int64(start) * 1440))
        if let end { cells.add(dateText(.endDate, w, minutes: Int64(end) * 1440)) } else { cells.addEmpty() }
        if type == "REFERRAL" { cells.add(rng.pick(SynthText.referralSources)) } else { cells.addEmpty() }
        cells.add(category)
        if end != nil && rng.chance(0.3) { cells.add(rng.pick(SynthText.outcomes)) } else { cells.addEmpty() }
        try emit(w, &cells, child: child, event: event) { row in
            switch rng.below(7) {
            case 0: row.override(11, "31/02/\(CivilDate(dayNumber: start).year)"); return .cell("type-error")
            case 1: row.override(8, "White British"); return .cell("constraint-error")
            case 2: row.override(1, ""); return .cell("constraint-error")
            case 3: return .extraCell
            case 4: row.override(12, dateText(.endDate, w, minutes: Int64(start - 1) * 1440)); return .cell("date-order")
            case 5:
                let valid = c.upn.isEmpty ? makeUPN(&rng) : c.upn
                let wrong = SynthText.upnLetters.first { $0 != valid.first! }!
                row.override(2, String(wrong) + valid.dropFirst()); return .cell("upn-checksum")
            default:
                if rng.chance(0.5) { return .duplicate }
                row.override(3, breakCheckDigit(c.nhs)); return .cell("nhs-number-checksum")
            }
        }
    }

    // MARK: Voluntary sector

    func writeVCS(_ org: String, child: Int, service: String, day: Int, event: Int) throws {
        let c = children[child]
        let w = writers[org]!
        let partner = pipelines.registry.partner(code: org)!
        let orgName = rng.chance(0.5) ? org : rng.pick([partner.name] + partner.aliases)
        let dob = recordedDOB(c, eventDay: day, slip: 0.03)
        let giveDOB = rng.chance(0.7)
        let closed = rng.chance(0.4) ? day + 10 + rng.below(50) : nil
        // Built in a local buffer: no exclusivity check per cell on the generator's property.
        var cells = RowCells()
        swap(&cells, &row)
        defer { swap(&cells, &row) }
        cells.reset()
        cells.add(rng.chance(0.2) ? orgName.lowercased() : orgName)
        cells.add(w.refPrefix, nextSerial())
        cells.add(forename(c, typo: 0.02, variant: 0.15).lowercasedSometimes(&rng))
        if rng.chance(0.6) { cells.add(c.surname) } else { cells.addEmpty() }
        if giveDOB {
            cells.add(vcsDate(dob))
            cells.addEmpty()
        } else {
            cells.addEmpty()
            cells.add(CivilDate.age(born: CivilDate(dayNumber: c.dob), at: CivilDate(dayNumber: day)))
        }
        if rng.chance(0.9) { cells.add(rng.pick(c.female ? SynthText.female : SynthText.male)) } else { cells.addEmpty() }
        if rng.chance(0.85) { cells.add(groupCode(c, .vcs)) } else { cells.addEmpty() }
        cells.add(rng.chance(0.5) ? c.district : postcode(c, spaceless: 0.3))
        cells.add(service)
        cells.add(vcsDate(day))
        cells.add(rng.pick(SynthText.vcsSources))
        if let closed, closed <= quarter.lastDay.dayNumber { cells.add(vcsDate(closed)) } else { cells.addEmpty() }
        try emit(w, &cells, child: child, event: event) { row in
            switch rng.below(5) {
            case 0: row.override(10, "31/02/\(CivilDate(dayNumber: day).year)"); return .cell("type-error")
            case 1: row.override(9, "ADVICE"); return .cell("constraint-error")
            case 2: row.override(2, ""); return .cell("constraint-error")
            case 3: return .extraCell
            default:
                if rng.chance(0.5) { return .duplicate }
                row.override(12, vcsDate(day - 1)); return .cell("date-order")
            }
        }
    }

    /// Day-first dates in the forms people type.
    func vcsDate(_ day: Int) -> String {
        let d = CivilDate(dayNumber: day)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        switch rng.below(5) {
        case 0: return "\(d.day)/\(d.month)/\(d.year)"
        case 1: return "\(two(d.day))-\(two(d.month))-\(d.year)"
        case 2: return "\(d.day) \(months[d.month - 1]) \(d.year)"
        case 3: return d.description
        default: return "\(two(d.day))/\(two(d.month))/\(d.year)"
        }
    }

    // MARK: Truth about people

    func writePersons() throws {
        let out = try TextOutput(path: options.out + "/truth/persons.csv",
                                 header: ["person", "la_code", "forename", "surname", "sex", "dob", "ethnicity", "postcode", "nhs_number", "upn"])
        for i in appeared.indices where appeared[i] {
            let c = children[i]
            try out.row { r in
                r.add("P\(i + 1)"); r.add(settings.localAuthorities[c.la].code); r.add(c.forename); r.add(c.surname)
                r.add(c.female ? "F" : "M"); r.add(CivilDate(dayNumber: c.dob).description)
                r.add(c.notStated ? settings.notStated["ons"] ?? "" : settings.groups[c.group].codes["ons"] ?? "")
                r.add(c.postcode); r.add(c.nhs); r.add(c.upn)
            }
        }
        try out.commit()
    }
}

extension String {
    func lowercasedSometimes(_ r: inout SynthRandom) -> String { r.chance(0.1) ? lowercased() : self }
}

/// Fixed choices, made once.
enum SynthText {
    static let referralSources = ["1A", "1B", "2A", "3A", "3B", "3E", "4", "5A", "5C", "5D", "6", "8", "9"]
    static let outcomes = ["No further action", "Closed, needs met", "Stepped down to early help", "Returned home"]
    static let female = ["female", "Female", "girl", "F"]
    static let male = ["male", "Male", "boy", "M"]
    static let vcsSources = ["school", "police", "self", "social worker", "GP", "parent", "Early Help"]
    static let cpCategories = ["NEG", "NEG", "NEG", "EMO", "EMO", "PHY", "SAB", "MUL"]
    /// Child ids as each council's case system writes them (Liquidlogic, Mosaic…).
    static let caseSystemPrefix = ["LCC": "LL", "LEICS": "MO", "RCC": "RC"]
    static let upnLetters = Array("ABCDEFGHJKLMNPQRTUVWXYZ")
}

/// Sets a return file's date as a partner would have made it: two weeks
/// after its quarter, a resubmission four weeks after.
public func setReturnDate(_ path: String, quarter: FinancialQuarter, version: Int) {
    let day = quarter.lastDay.dayNumber + (version > 1 ? 28 : 14)
    var times = [timeval(tv_sec: day * 86400 + 12 * 3600, tv_usec: 0), timeval(tv_sec: day * 86400 + 12 * 3600, tv_usec: 0)]
    _ = utimes(path, &times)
}

/// Puts the generator's dates back on the returns in a folder (git keeps no
/// file dates, so a fresh clone's sample returns all look made today).
public func restoreReturnDates(directory: String, registry: PartnerRegistry) -> Int {
    var n = 0
    for name in directoryEntries(directory) ?? [] {
        guard case .success(let r) = ReturnFileName.parse(name, registry: registry) else { continue }
        setReturnDate(directory + "/" + name, quarter: r.quarter, version: r.version)
        n += 1
    }
    return n
}
