import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

/// The hand-checked returns in Tests/Fixtures/: the valid ones pass, and each
/// invalid one gives exactly the findings planted in it (Tests/Fixtures/README.md).
@Suite("Hand-checked fixture returns")
struct FixtureReturnTests {
    func sample(_ name: String) -> ValidationReport {
        validateReturn(path: packageRoot + "/Tests/Fixtures/returns/" + name, pipelines: contract, options: options())
    }

    @Test(arguments: ["LP_police_2024-25_Q1.csv.gz", "UHL_health_2024-25_Q1.csv.gz", "LCC_council_2024-25_Q1.csv.gz", "BARNARDOS_vcs_2024-25_Q1.csv.gz"])
    func validSamples(name: String) {
        let r = sample(name)
        #expect(r.valid)
        #expect(r.stats.errors == 0)
        #expect(r.stats.rows >= 4)
    }

    @Test func youngAdultInThePoliceSampleIsOnlyAWarning() {
        #expect(located(sample("LP_police_2024-25_Q1.csv.gz")) == [Located("age-out-of-range", 7, .warning)])
    }

    @Test func invalidPoliceSample() {
        #expect(located(sample("LP_police_2024-25_Q2.csv.gz")) == [
            Located("type-error", 3), Located("constraint-error", 4), Located("date-order", 5), Located("date-out-of-period", 6),
            Located("age-out-of-range", 7), Located("primary-key", 8), Located("duplicate-row", 9, .warning),
            Located("conditional-required", 10, .warning), Located("constraint-error", 11), Located("late-record", 12, .warning),
        ])
    }

    @Test func invalidHealthSample() {
        #expect(located(sample("LPT_health_2024-25_Q1.csv.gz")) == [
            Located("nhs-number-checksum", 3), Located("nhs-number-checksum", 4), Located("type-error", 5), Located("constraint-error", 6),
            Located("constraint-error", 7), Located("constraint-error", 8), Located("constraint-error", 9), Located("date-out-of-period", 10),
            Located("future-date", 11), Located("age-out-of-range", 11), Located("extra-cell", 12),
        ])
    }

    @Test func invalidCouncilSample() {
        #expect(located(sample("LEICS_council_2024-25_Q1.csv.gz")) == [
            Located("upn-checksum", 2), Located("conditional-required", 3), Located("conditional-required", 4), Located("date-order", 5),
            Located("late-record", 6, .warning), Located("constraint-error", 7), Located("late-record", 8, .warning), Located("missing-cell", 9),
        ])
    }

    @Test func invalidVCSSample() {
        #expect(located(sample("NSPCC_vcs_2024-25_Q1.csv.gz")) == [
            Located("extra-label", 1), Located("unmapped-value", 3), Located("conditional-required", 4), Located("blank-row", 5, .warning),
            Located("constraint-error", 6), Located("type-error", 7), Located("unmapped-value", 8, .warning), Located("date-order", 9),
            Located("constraint-error", 10),
        ])
    }

    @Test func crlfSampleCountsLinesLikeLF() {
        let r = sample("LCC_council_2024-25_Q1.csv.gz")
        #expect(r.stats.rows == 5 && r.findings.isEmpty)
    }
}
