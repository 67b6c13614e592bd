import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

/// Each rule, table-driven over its own fixture rows. A fixture is a row
/// built from a valid one with a few cells changed, and the findings it must
/// give (code, severity), or none.
@Suite("Domain rules")
struct RuleTests {
    @Test(arguments: [
        ("0830166130", NHSNumber.Verdict.valid), ("083 016 6130", .valid), ("5432319489", .valid),
        ("0830166131", .badCheckDigit(expected: 0)), ("999 000 0018", .testNumber), ("9990000018", .testNumber),
        ("083016613", .notTenDigits), ("08301661300", .notTenDigits), ("083-016-6130", .notTenDigits), ("ABCDEFGHIJ", .notTenDigits),
        ("1000000010", .badCheckDigit(expected: nil)),
    ])
    func nhsNumbers(value: String, verdict: NHSNumber.Verdict) {
        #expect(NHSNumber.check(value) == verdict)
    }

    @Test(arguments: [
        ("Q856186091390", UPN.Verdict.valid), ("q856186091390", .valid), ("T856628194821", .valid), ("UN1", .reasonCode), ("UN5", .reasonCode),
        ("A856186091390", .badCheckLetter(expected: "Q")), ("UN6", .malformed), ("Q85618609139", .malformed), ("Q8561860913X0", .malformed),
        ("I856186091390", .badCheckLetter(expected: "Q")),
    ])
    func upns(value: String, verdict: UPN.Verdict) {
        #expect(UPN.check(value) == verdict)
    }

    @Test func temporaryUPNLastCharacterIsALetter() {
        // Check letter computed for a temporary UPN ending in a letter, by the rule's own arithmetic.
        let rest = Array("85618609139".utf8) + [UInt8(ascii: "A")]
        let letter = UPN.checkLetter(forLast12: rest)!
        #expect(UPN.check(String(decoding: [letter] + rest, as: UTF8.self)) == .valid)
    }

    /// A fixture: its name, the cells changed from the family's valid row, and the findings expected.
    typealias Case = (String, [String: String], [Located])

    /// Validates one row of `family` built from `changes`, expecting exactly `expected`.
    func expectRule(_ family: String, _ name: String, _ changes: [String: String], _ expected: [Located]) {
        let (fileName, header, build): (String, String, ([String: String]) -> String) = switch family {
        case "police": ("LP_police_2024-25_Q1.csv", policeHeader, police)
        case "health": ("UHL_health_2024-25_Q1.csv", healthHeader, health)
        case "council": ("LCC_council_2024-25_Q1.csv", councilHeader, council)
        default: ("NSPCC_vcs_2024-25_Q1.csv", vcsHeader, vcs)
        }
        let r = validate(fileName, file(header, [build(changes)]))
        #expect(located(r) == expected, "\(family): \(name)")
    }

    static let healthCases: [Case] = [
        ("valid", [:], []),
        ("bad check digit", ["nhs_number": "0830166131"], [Located("nhs-number-checksum", 2)]),
        ("test number", ["nhs_number": "9990000018"], [Located("nhs-number-checksum", 2)]),
        ("nine digits", ["nhs_number": "083016613"], [Located("constraint-error", 2)]),
        ("empty nhs is fine", ["nhs_number": ""], []),
        ("event after quarter", ["event_date": "2024-07-01"], [Located("date-out-of-period", 2)]),
        ("event before quarter", ["event_date": "2024-03-31"], [Located("late-record", 2, .warning)]),
        ("dob in future", ["dob": "2025-01-01", "event_date": "2024-04-10"], [Located("future-date", 2), Located("age-out-of-range", 2)]),
        ("age 18 is a warning", ["dob": "2006-04-09"], [Located("age-out-of-range", 2, .warning)]),
        ("age 17 is fine", ["dob": "2006-04-11"], []),
        ("age 26 is an error", ["dob": "1998-01-01"], [Located("age-out-of-range", 2)]),
        ("not a real date", ["dob": "2019-02-31"], [Located("type-error", 2)]),
        ("wrong date layout", ["dob": "01/01/2010"], [Located("type-error", 2)]),
        ("code not in list", ["gender": "M"], [Located("constraint-error", 2)]),
        ("required missing", ["local_patient_id": ""], [Located("constraint-error", 2)]),
        ("required text of spaces only", ["local_patient_id": "   "], [Located("constraint-error", 2)]),
        ("pattern", ["gp_practice": "C8200"], [Located("constraint-error", 2)]),
        ("postcode any case and spacing", ["postcode": "le16zg"], []),
        ("bad postcode", ["postcode": "LE1"], [Located("constraint-error", 2)]),
    ]

    @Test(arguments: healthCases)
    func healthRules(name: String, changes: [String: String], expected: [Located]) {
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, [health(changes)]))
        #expect(located(r) == expected, "\(name)")
    }

    static let policeCases: [Case] = [
        ("valid", [:], []),
        ("end before start", ["ended_at": "10/04/2024 09:59"], [Located("date-order", 2)]),
        ("end after start", ["ended_at": "10/04/2024 10:01"], []),
        ("end after as-of", ["ended_at": "02/12/2024 10:00"], [Located("future-date", 2)]),
        ("end after quarter but before as-of is fine", ["ended_at": "02/07/2024 10:00"], []),
        ("missing episode without end", ["record_type": "MISSING_EPISODE"], [Located("conditional-required", 2, .warning)]),
        ("missing episode with end", ["record_type": "MISSING_EPISODE", "ended_at": "11/04/2024 08:00"], []),
        ("bad incident ref", ["incident_ref": "LP100"], [Located("constraint-error", 2)]),
        ("datetime without time", ["reported_at": "10/04/2024"], [Located("type-error", 2)]),
        ("lower-case code", ["sex": "f"], [Located("constraint-error", 2)]),
        ("started before the quarter", ["reported_at": "31/03/2024 23:59"], [Located("late-record", 2, .warning)]),
    ]

    @Test(arguments: policeCases)
    func policeRules(name: String, changes: [String: String], expected: [Located]) {
        let r = validate("LP_police_2024-25_Q1.csv", file(policeHeader, [police(changes)]))
        #expect(located(r) == expected, "\(name)")
    }

    static let councilCases: [Case] = [
        ("valid", [:], []),
        ("bad upn letter", ["upn": "A856186091390"], [Located("upn-checksum", 2)]),
        ("upn reason code", ["upn": "UN3"], []),
        ("short upn", ["upn": "Q8561860913"], [Located("constraint-error", 2)]),
        ("cp plan without category", ["event_type": "CP_PLAN"], [Located("conditional-required", 2)]),
        ("cp plan with category", ["event_type": "CP_PLAN", "cp_category": "NEG"], []),
        ("category without cp plan", ["cp_category": "PHY"], [Located("conditional-required", 2)]),
        ("open spell from last year", ["event_type": "CLA_EPISODE", "start_date": "01/09/2023"], []),
        ("spell closed in the quarter", ["event_type": "CLA_EPISODE", "start_date": "01/09/2023", "end_date": "01/05/2024"], []),
        ("spell closed before the quarter", ["event_type": "CLA_EPISODE", "start_date": "01/09/2023", "end_date": "31/03/2024"], [Located("late-record", 2, .warning)]),
        ("old contact", ["event_type": "CONTACT", "start_date": "01/09/2023"], [Located("late-record", 2, .warning)]),
        ("end before start", ["end_date": "09/04/2024"], [Located("date-order", 2)]),
        ("referral source code", ["referral_source": "11"], [Located("constraint-error", 2)]),
        ("DfE ethnicity", ["ethnicity": "White British"], [Located("constraint-error", 2)]),
    ]

    @Test(arguments: councilCases)
    func councilRules(name: String, changes: [String: String], expected: [Located]) {
        let r = validate("LCC_council_2024-25_Q1.csv", file(councilHeader, [council(changes)]))
        #expect(located(r) == expected, "\(name)")
    }

    static let vcsCases: [Case] = [
        ("valid", [:], []),
        ("org by alias", ["org_code": "Barnardo's"], []),
        ("org by loose case", ["org_code": "national society for the prevention of cruelty to children"], []),
        ("org unknown", ["org_code": "Barnados Leicester"], [Located("unmapped-value", 2)]),
        ("org from another family", ["org_code": "UHL"], [Located("unmapped-value", 2)]),
        ("no dob, no age", ["dob": ""], [Located("conditional-required", 2)]),
        ("no dob, age", ["dob": "", "age": "14"], []),
        ("age too high", ["dob": "", "age": "26"], [Located("constraint-error", 2)]),
        ("age not a number", ["dob": "", "age": "14y"], [Located("type-error", 2)]),
        ("written date", ["dob": "3 Apr 2011"], []),
        ("two-digit year", ["referral_date": "10/4/24"], []),
        ("unknown sex form", ["sex": "lad"], [Located("unmapped-value", 2, .warning)]),
        ("unknown ethnicity form", ["ethnicity": "Martian"], [Located("unmapped-value", 2, .warning)]),
        ("known forms", ["sex": "Prefer not to say", "ethnicity": "asian-indian", "referral_source": "Social Worker"], []),
        ("closed before referral", ["closed_date": "09/04/2024"], [Located("date-order", 2)]),
        ("district postcode", ["postcode": "LE15"], []),
        ("full postcode", ["postcode": "le15 6rb"], []),
        ("service missing", ["service": ""], [Located("constraint-error", 2)]),
    ]

    @Test(arguments: vcsCases)
    func vcsRules(name: String, changes: [String: String], expected: [Located]) {
        let r = validate("NSPCC_vcs_2024-25_Q1.csv", file(vcsHeader, [vcs(changes)]))
        #expect(located(r) == expected, "\(name)")
    }

    @Test func ageBandsMatchTheCalendarAroundEveryBirthday() {
        // Dates of birth either side of the 18th and 26th birthdays, for every
        // event day of the quarter: the rule's day-count shortcut must agree
        // with whole calendar years.
        var rows: [String] = []
        var expected: [Located] = []
        let q = FinancialQuarter("2024-25_Q1")!
        var n = 0
        for eventDay in stride(from: q.firstDay.dayNumber, through: q.lastDay.dayNumber, by: 7) {
            for offset in [-6576, -6575, -6574, -6573, -6572, -6571, -9497, -9496, -9495, -9494, -9490] {
                n += 1
                let dob = CivilDate(dayNumber: eventDay + offset), event = CivilDate(dayNumber: eventDay)
                rows.append(health(["event_id": "E-\(n)", "dob": dob.description, "event_date": event.description]))
                let age = CivilDate.age(born: dob, at: event)
                if age > 25 { expected.append(Located("age-out-of-range", n + 1)) } else if age > 17 { expected.append(Located("age-out-of-range", n + 1, .warning)) }
            }
        }
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, rows))
        #expect(located(r) == expected)
        #expect(expected.count > 20 && expected.count < n)
    }

    @Test func rulesCanBeLimitedToQuarters() throws {
        // A rule with `from` applies only from that quarter on: a new year's rule sits beside the old.
        var spec = try #require(contract.families["health"]?.rules.first { $0.name == "nhs-number" })
        spec.from = FinancialQuarter("2025-26_Q1")
        #expect(!spec.applies(to: FinancialQuarter("2024-25_Q4")))
        #expect(spec.applies(to: FinancialQuarter("2025-26_Q1")))
        #expect(!spec.applies(to: nil))
    }
}
