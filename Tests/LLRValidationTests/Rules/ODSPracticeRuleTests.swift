import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

/// The `ods-practice` rule on its own fixture rows (health returns carry
/// the GP practice): a warning, as `Pipelines/families/health.yaml` sets it.
@Suite("Rule ods-practice")
struct ODSPracticeRuleTests {
    @Test(arguments: [
        ("a practice code", "C82001", [Located]()),
        ("empty", "", []),
        ("lower case", "c82001", [Located("constraint-error", 2, .warning)]),
        ("not known", "V81999", [Located("constraint-error", 2, .warning)]),
        ("no registered practice", "V81997", [Located("constraint-error", 2, .warning)]),
        ("not applicable, lower case", "v81998", [Located("constraint-error", 2, .warning)]),
        // The shape itself is the column's pattern's to judge: an error, and not this rule's as well.
        ("wrong shape", "C8200", [Located("constraint-error", 2)]),
    ])
    func practiceCodes(name: String, value: String, expected: [Located]) {
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, [health(["gp_practice": value])]))
        #expect(located(r) == expected, "\(name)")
    }

    @Test func theMessageSaysWhatThePlaceholderMeans() throws {
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, [health(["gp_practice": "V81999"])]))
        let f = try #require(r.findings.first)
        #expect(f.fieldName == "gp_practice" && f.message.contains("'not known'"))
    }
}
