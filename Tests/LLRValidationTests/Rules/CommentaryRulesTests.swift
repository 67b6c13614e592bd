import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

let commentaryHeader = "measure,value,numerator,denominator,commentary,action"

/// A commentary row from cells (CSV-quoted where they need it).
func commentary(_ measure: String, value: String = "", numerator: String = "", denominator: String = "",
                text: String = "Why it moved", action: String = "") -> String {
    [measure, value, numerator, denominator, csvQuoted(text), csvQuoted(action)].joined(separator: ",")
}

func csvQuoted(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }

/// The commentary return's rules (contract §8), each on its own fixture rows.
@Suite("The commentary return")
struct CommentaryRulesTests {
    func check(_ rows: [String], partner: String = "LCC") -> ValidationReport {
        validate("\(partner)_commentary_2024-25_Q1.csv", file(commentaryHeader, rows))
    }

    @Test func anyPartnerMaySendOneBesideItsOwn() {
        for partner in ["LCC", "LP", "UHL", "NSPCC"] {
            let r = check([commentary("CONTACTS", value: "12235", numerator: "12235")], partner: partner)
            #expect(r.valid && r.family == "commentary" && r.partner == partner, "\(partner): \(located(r))")
        }
        let wrong = validate("LCC_health_2024-25_Q1.csv", file(commentaryHeader, [commentary("CONTACTS")]))
        #expect(wrong.findings.first?.message.contains("LCC sends council or commentary returns, not 'health'") == true)
    }

    @Test(arguments: [
        ("a catalogue code", "CONTACTS", "LCC", [Located]()),
        ("a slip", "CONTATCS", "LCC", [Located("unknown-measure", 2)]),
        ("lower case", "contacts", "LCC", [Located("unknown-measure", 2)]),
        ("the police's own measure, from the police", "LP_RETURN_INTERVIEWS_72H", "LP", []),
        ("the police's own measure, from a council", "LP_RETURN_INTERVIEWS_72H", "LCC", [Located("unknown-measure", 2)]),
    ])
    func measureCodes(name: String, code: String, partner: String, expected: [Located]) {
        #expect(located(check([commentary(code)], partner: partner)) == expected, "\(name)")
    }

    @Test func anUnknownCodeSuggestsTheNearest() throws {
        let f = try #require(check([commentary("CONTATCS")]).findings.first)
        #expect(f.message.contains("Did you mean CONTACTS?") && f.fieldName == "measure")
    }

    @Test(arguments: [
        ("a count equal to its numerator", "CONTACTS", "120", "120", "", [Located]()),
        ("a count that is not its numerator", "CONTACTS", "121", "120", "", [Located("parts-mismatch", 2)]),
        ("a percent rounded to a whole", "CONTACT_TO_REFERRAL", "25", "301", "1200", []),
        ("a percent a point out", "CONTACT_TO_REFERRAL", "26.2", "300", "1200", [Located("parts-mismatch", 2)]),
        ("numerator above denominator", "CONTACT_TO_REFERRAL", "", "13", "12", [Located("parts-mismatch", 2)]),
        ("a rate is not checked (no population)", "CP_OPEN_RATE", "40.0", "300", "", []),
        ("a value alone", "CONTACT_TO_REFERRAL", "27.5", "", "", []),
        ("negative numerator", "CONTACTS", "", "-1", "", [Located("constraint-error", 2)]),
        ("thousands separators", "CONTACTS", "\"12,235\"", "", "", [Located("type-error", 2)]),
        ("not a number", "CONTACTS", "many", "", "", [Located("type-error", 2)]),
    ])
    func figures(name: String, code: String, value: String, numerator: String, denominator: String, expected: [Located]) {
        let r = check([commentary(code, value: value, numerator: numerator, denominator: denominator)])
        #expect(located(r) == expected, "\(name)")
    }

    @Test func aNumberWithSeparatorsSaysHowToWriteIt() throws {
        let f = try #require(check([commentary("CONTACTS", value: "\"12,235\"")]).findings.first)
        #expect(f.message.contains("without thousands separators"))
    }

    @Test func textOverItsLimitIsRefusedWithItsLength() throws {
        let long = String(repeating: "é", count: 2001)
        let r = check([commentary("CONTACTS", text: long), commentary("REFERRALS", text: String(repeating: "é", count: 2000))])
        #expect(located(r) == [Located("constraint-error", 2)])
        #expect(r.findings.first?.message.contains("2001 characters long; at most 2000") == true)
        let action = check([commentary("CONTACTS", action: String(repeating: "a", count: 1001))])
        #expect(located(action) == [Located("constraint-error", 2)])
    }

    @Test(arguments: ["=SUM(A1)", "+44 116", "-fewer contacts", "@risk"])
    func formulaLikeTextIsAWarningAndTheRowKept(text: String) {
        let r = check([commentary("CONTACTS", text: text)])
        #expect(located(r) == [Located("formula-like", 2, .warning)] && r.stats.rowsRejected == 0)
    }

    @Test func aMeasureTwiceIsAPrimaryKeyError() {
        #expect(located(check([commentary("CONTACTS"), commentary("CONTACTS", text: "again")])).map(\.code) == ["primary-key"])
    }
}
