import LLRCore

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

extension SyntheticReturns {
    // MARK: Writing a row with its truth

    /// Writes `clean` (maybe spoiled by `inject`) to the partner's return, its
    /// truth row, and its line in a resubmission when there is one.
    func emit(_ partner: String, _ clean: [String], child: Int, event: Int, inject: (inout [String]) -> Injection) throws {
        guard let writer = writers[partner] else { throw SynthError("no return open for \(partner)") }
        appeared[child] = true
        var dirty = clean
        var injection = Injection.none
        if options.errorRate > 0 && rng.chance(options.errorRate) { injection = inject(&dirty) }
        let person = "P\(child + 1)", ev = "E\(event)"
        func record(_ w: ReturnWriter, _ cells: [String], _ inj: Injection) throws {
            var code = ""
            var extra: [String] = []
            switch inj {
            case .none, .duplicate: break
            case .cell(let c): code = c
            case .extraCell: code = "extra-cell"; extra = ["x"]
            }
            let row = try w.write(cells, extra: extra)
            rowsWritten += 1
            try truth.row { r in r.add(w.fileName); r.add(row); r.add(person); r.add(ev); r.add(code) }
            if case .duplicate = inj {
                let again = try w.write(cells)
                rowsWritten += 1
                try truth.row { r in r.add(w.fileName); r.add(again); r.add(person); r.add(ev); r.add("duplicate-row") }
            }
        }
        if case .none = injection {} else { injectedCount += 1 }
        try record(writer, dirty, injection)
        if let v2 = resubmitted[partner] {
            // The resubmission corrects most of the rows that were wrong.
            if case .none = injection {
                try record(v2, clean, .none)
            } else if rng.chance(0.7) {
                try record(v2, clean, .none)
            } else {
                try record(v2, dirty, injection)
            }
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

    func dateText(_ family: String, _ field: String, _ writer: ReturnWriter, minutes: Int64) -> String {
        writer.formats[field]!.format(minutes)
    }

    /// An LA as an officer types it: its name, its ONS code, shouting, or short.
    func laName(_ la: Int) -> String {
        rng.pick(laForms[la])
    }

    // MARK: Police

    func writePolice(child: Int, type: String, start: Int64, end: Int64?, event: Int) throws {
        let c = population.children[child]
        let w = writers["LP"]!
        let day = Minutes.day(start)
        let lookedAfter = inCare[child] != nil
        var cells: [String] = [
            "LP-\(100_000 + nextSerial())", rng.chance(0.85) ? "NP-\(500_000 + child)" : "", type,
            dateText("police", "reported_at", w, minutes: start), end.map { dateText("police", "ended_at", w, minutes: $0) } ?? "",
            forename(c, typo: 0.03, variant: 0.05), surname(c, typo: 0.03),
            dateText("police", "dob", w, minutes: Int64(recordedDOB(c, eventDay: day, slip: 0.02)) * 1440),
            rng.chance(0.01) ? "U" : (c.female ? "F" : "M"), groupCode(c, .police),
            rng.chance(0.95) ? postcode(c, spaceless: 0.2) : "", rng.chance(0.8) ? laName(c.la) : "",
            rng.chance(0.02) ? "U" : (lookedAfter ? "Y" : "N"), lookedAfter && rng.chance(0.5) ? laName(c.la) : "",
        ]
        if rng.chance(0.01) { cells.swapAt(5, 6) }
        try emit("LP", cells, child: child, event: event) { row in
            switch rng.below(6) {
            case 0: row[3] = "31/02/\(CivilDate(dayNumber: day).year) 10:00"; return .cell("type-error")
            case 1: row[8] = "X"; return .cell("constraint-error")
            case 2: row[6] = ""; return .cell("constraint-error")
            case 3: return .extraCell
            case 4: row[4] = dateText("police", "ended_at", w, minutes: start - 60); return .cell("date-order")
            default:
                if rng.chance(0.5) { return .duplicate }
                row[7] = "01/01/2090"; return .cell("future-date")
            }
        }
    }

    // MARK: Health

    func writeHealth(_ partner: String, child: Int, type: String, day: Int, event: Int) throws {
        let c = population.children[child]
        let w = writers[partner]!
        var nhs = ""
        if rng.chance(0.9) {
            nhs = c.nhs
            if rng.chance(0.3) { nhs = "\(nhs.prefix(3)) \(nhs.dropFirst(3).prefix(3)) \(nhs.suffix(4))" }
        }
        let localID = partner == "UHL" ? "RWE\(4_000_000 + child)" : "\(partner)\(700_000 + child)"
        let cells: [String] = [
            "\(partner)-E\(nextSerial())", nhs, localID, forename(c, typo: 0.01, variant: 0.03), surname(c, typo: 0.01),
            dateText("health", "dob", w, minutes: Int64(c.dob) * 1440), rng.chance(0.01) ? "0" : (c.female ? "2" : "1"),
            groupCode(c, .health), rng.chance(0.97) ? postcode(c, spaceless: 0.1) : "", "C8\(2000 + (child % 900))", type,
            dateText("health", "event_date", w, minutes: Int64(day) * 1440),
        ]
        try emit(partner, cells, child: child, event: event) { row in
            switch rng.below(6) {
            case 0: row[11] = "\(CivilDate(dayNumber: day).year)-02-30"; return .cell("type-error")
            case 1: row[6] = "M"; return .cell("constraint-error")
            case 2: row[2] = ""; return .cell("constraint-error")
            case 3: return .extraCell
            case 4:
                row[1] = breakCheckDigit(c.nhs); return .cell("nhs-number-checksum")
            default:
                if rng.chance(0.5) { return .duplicate }
                row[5] = "2090-01-01"; return .cell("future-date")
            }
        }
    }

    func breakCheckDigit(_ nhs: String) -> String {
        let last = Int(String(nhs.last!))!
        return String(nhs.dropLast()) + String((last + 1) % 10)
    }

    // MARK: Council

    func writeCouncil(_ council: String, child: Int, type: String, start: Int, end: Int?, ref: String, event: Int, category: String) throws {
        let c = population.children[child]
        let w = writers[council]!
        let prefix = SynthText.caseSystemPrefix[council] ?? council
        var upn = ""
        if !c.upn.isEmpty { upn = rng.chance(0.8) ? c.upn : "" } else if rng.chance(0.3) { upn = "UN\(1 + rng.below(5))" }
        let referralSource = type == "REFERRAL" ? rng.pick(SynthText.referralSources) : ""
        let outcome = end != nil && rng.chance(0.3) ? rng.pick(SynthText.outcomes) : ""
        let cells: [String] = [
            ref, "\(prefix)-\(300_000 + child)", upn, rng.chance(0.5) ? c.nhs : "", forename(c, typo: 0.005, variant: 0.02), surname(c, typo: 0.005),
            dateText("council", "dob", w, minutes: Int64(c.dob) * 1440), c.female ? "F" : "M", groupCode(c, .council),
            rng.chance(0.97) ? postcode(c, spaceless: 0.05) : "", type, dateText("council", "start_date", w, minutes: Int64(start) * 1440),
            end.map { dateText("council", "end_date", w, minutes: Int64($0) * 1440) } ?? "", referralSource, category, outcome,
        ]
        try emit(council, cells, child: child, event: event) { row in
            switch rng.below(7) {
            case 0: row[11] = "31/02/\(CivilDate(dayNumber: start).year)"; return .cell("type-error")
            case 1: row[8] = "White British"; return .cell("constraint-error")
            case 2: row[1] = ""; return .cell("constraint-error")
            case 3: return .extraCell
            case 4: row[12] = dateText("council", "end_date", w, minutes: Int64(start - 1) * 1440); return .cell("date-order")
            case 5:
                let valid = c.upn.isEmpty ? makeUPN(&rng) : c.upn
                let letters = Array("ABCDEFGHJKLMNPQRTUVWXYZ")
                let wrong = letters.first { $0 != valid.first! }!
                row[2] = String(wrong) + valid.dropFirst(); return .cell("upn-checksum")
            default:
                if rng.chance(0.5) { return .duplicate }
                row[3] = breakCheckDigit(c.nhs); return .cell("nhs-number-checksum")
            }
        }
    }

    // MARK: Voluntary sector

    func writeVCS(_ org: String, child: Int, service: String, day: Int, event: Int) throws {
        let c = population.children[child]
        let w = writers[org]!
        let partner = pipelines.registry.partner(code: org)!
        let orgName = rng.chance(0.5) ? org : rng.pick([partner.name] + partner.aliases)
        let dob = recordedDOB(c, eventDay: day, slip: 0.03)
        let giveDOB = rng.chance(0.7)
        let sexForms = c.female ? SynthText.female : SynthText.male
        let closed = rng.chance(0.4) ? day + 10 + rng.below(50) : nil
        let orgCell: String = rng.chance(0.2) ? orgName.lowercased() : orgName
        let ref = "\(org)-\(nextSerial())"
        let first: String = forename(c, typo: 0.02, variant: 0.15).lowercasedSometimes(&rng)
        let last: String = rng.chance(0.6) ? c.surname : ""
        let dobCell: String = giveDOB ? vcsDate(dob) : ""
        let ageCell: String = giveDOB ? "" : String(CivilDate.age(born: CivilDate(dayNumber: c.dob), at: CivilDate(dayNumber: day)))
        let sexCell: String = rng.chance(0.9) ? rng.pick(sexForms) : ""
        let ethnicityCell: String = rng.chance(0.85) ? groupCode(c, .vcs) : ""
        let postcodeCell: String = rng.chance(0.5) ? c.district : postcode(c, spaceless: 0.3)
        let referralDate: String = vcsDate(day)
        let source: String = rng.pick(SynthText.vcsSources)
        var closedCell = ""
        if let closed, closed <= quarter.lastDay.dayNumber { closedCell = vcsDate(closed) }
        let cells: [String] = [orgCell, ref, first, last, dobCell, ageCell, sexCell, ethnicityCell, postcodeCell, service, referralDate, source, closedCell]
        try emit(org, cells, child: child, event: event) { row in
            switch rng.below(5) {
            case 0: row[10] = "31/02/\(CivilDate(dayNumber: day).year)"; return .cell("type-error")
            case 1: row[9] = "ADVICE"; return .cell("constraint-error")
            case 2: row[2] = ""; return .cell("constraint-error")
            case 3: return .extraCell
            default:
                if rng.chance(0.5) { return .duplicate }
                row[12] = vcsDate(day - 1); return .cell("date-order")
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
            let c = population.children[i]
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
}
