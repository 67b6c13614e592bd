import Foundation
import LLRCore
@testable import LLRMeasures
import LLRTestSupport
import Testing

/// measures.yaml as data: every measure of contract §7 is there, a new one
/// of the same kinds is a YAML change, and a wrong word stops the load.
@Suite("The measures catalogue")
struct CatalogueTests {
    /// The first problem loading the contract and its measures from `dir`.
    func loadError(_ dir: String) -> PipelineError? {
        do {
            _ = try MeasureCatalogue.load(contract: try Pipelines.load(from: dir))
            return nil
        } catch { return error }
    }

    @Test func everyMeasureOfTheContractIsDefined() {
        let codes = Set(catalogue.measures.map(\.code))
        for code in ["CONTACTS", "REFERRALS", "CONTACT_TO_REFERRAL", "RE_REFERRALS_12M", "ASSESSMENTS_COMPLETED", "ASSESSMENTS_45WD",
                     "CP_PLANS_STARTED", "CP_REPEAT", "CP_OPEN", "CP_2YEARS", "CLA_OPEN", "CLA_HEALTH_ASSESSMENT", "MISSING_EPISODES",
                     "MISSING_CHILDREN", "MISSING_REPEAT", "MISSING_FROM_CARE", "CSE_CHILDREN", "MULTI_AGENCY_CHILDREN"] {
            #expect(codes.contains(code), "\(code)")
        }
    }

    /// A measure the catalogue lacks, added in YAML only: early help started,
    /// in children, with its percentage of the children referred.
    @Test func aNewMeasureIsAYAMLChange() throws {
        let dir = try editedPipelines("measures.yaml") { $0 + """

              - code: EARLY_HELP_CHILDREN
                title: Children starting early help
                priority: Help at the right time
                unit: count
                polarity: none
                source: a test fixture
                count: children
                events: {types: [EARLY_HELP], families: [council], when: starts-in-quarter}
              - code: EARLY_HELP_AFTER_REFERRAL
                title: Early help starting within 30 days of a referral
                priority: Help at the right time
                unit: percent
                polarity: high
                source: a test fixture
                count: children
                events: {types: [EARLY_HELP], families: [council], when: starts-in-quarter}
                where:
                  - childHas: {types: [REFERRAL], families: [council], when: started-within-days-before, days: 30}
                denominator: EARLY_HELP_CHILDREN

            """ }
        let c = try MeasureCatalogue.load(contract: try Pipelines.load(from: dir))
        let r = try measures([
            TestEvent(id: "r", person: "p1", type: "REFERRAL", start: "2024-04-01"),
            TestEvent(id: "a", person: "p1", type: "EARLY_HELP", start: "2024-04-20"),
            TestEvent(id: "b", person: "p2", type: "EARLY_HELP", start: "2024-05-20"),
        ], catalogue: c)
        let f = try #require(r.figure("EARLY_HELP_AFTER_REFERRAL", q1))
        #expect(f.numerator == 1 && f.denominator == 2 && f.value == 50)
        #expect(c.explain("EARLY_HELP_AFTER_REFERRAL")?.contains("REFERRAL event starting in the 30 days before it") == true)
    }

    @Test(arguments: [
        ("    unit: count\n    polarity: none\n    source: DfE children in need census (contacts", "    unit: counts\n    polarity: none\n    source: DfE children in need census (contacts", "'counts' is not a unit. Did you mean 'count'?"),
        ("events: {types: [CONTACT], families: [council]", "events: {types: [CONTACTS], families: [council]", "'CONTACTS' is not a canonical event type"),
        ("events: {types: [CONTACT], families: [council]", "events: {types: [CONTACT], families: [counsil]", "'counsil' is not a family. Did you mean 'council'?"),
        ("events: {types: [CONTACT], families: [council]", "events: {types: [CONTACT], families: [police]", "no police return gives CONTACT events"),
        ("    numerator: REFERRALS\n", "    numerator: REFERRAL\n", "'REFERRAL' is not a measure of the catalogue. Did you mean 'REFERRALS'?"),
        ("    numerator: CLA_OPEN\n", "    numerator: CLA_OPEN_RATE\n", "is made from itself (CLA_OPEN_RATE → CLA_OPEN_RATE)"),
        ("      - endedWithinWorkingDays: 45", "      - endedWithinWorkdays: 45", "'endedWithinWorkdays' is not a condition. Did you mean 'endedWithinWorkingDays'?"),
        ("      - startedDaysBeforeQuarterEnd: 730\n    denominator: CP_PLANS_OPEN", "      - startedDaysBeforeQuarterEnd: 730", "a percent needs a denominator measure"),
        ("tolerance: {count: 0, percent: 0.5, rate: 0.5}", "tolerance: {count: 0, percent: -1, rate: 0.5}", "a tolerance cannot be negative"),
        ("tolerance: {count: 0, percent: 0.5, rate: 0.5}", "tolerance: {count: 0, rate: 0.5}", "reconciliation tolerance needs 'percent'"),
        ("    unit: percent\n    source: Leicestershire Police", "    unit: percentage\n    source: Leicestershire Police", "'percentage' is not a unit"),
    ])
    func wrongWordsStopTheLoad(text: String, replacement: String, message: String) throws {
        let dir = try editedPipelines("measures.yaml") { original in
            #expect(original.contains(text), "the test's text is no longer in measures.yaml")
            return original.replacingOccurrences(of: text, with: replacement)
        }
        let e = try #require(loadError(dir))
        #expect(e.file == "measures.yaml" && e.line > 0)
        #expect(e.message.contains(message), "\(e.message)")
    }

    @Test func aGapInTheBankHolidayYearsIsRefused() throws {
        let line = "  2024: [2024-01-01, 2024-03-29, 2024-04-01, 2024-05-06, 2024-05-27, 2024-08-26, 2024-12-25, 2024-12-26]\n"
        let dir = try editedPipelines("bankholidays.yaml") { original in
            #expect(original.contains(line))
            return original.replacingOccurrences(of: line, with: "")
        }
        let e = try #require(loadError(dir))
        #expect(e.file == "bankholidays.yaml" && e.message.contains("2024 is missing"), "\(e.message)")
    }
}

/// RAG against the board's target, polarity-aware.
@Suite("RAG")
struct RAGTests {
    func measure(_ polarity: Polarity, target: Double? = nil, range: ClosedRange<Double>? = nil, tolerance: Double = 2) -> MeasureDefinition {
        var m = catalogue.measure("RE_REFERRALS_12M")!
        m.polarity = polarity; m.target = target; m.expectedRange = range; m.tolerance = tolerance
        return m
    }

    @Test func lowIsGoodHighIsGoodAndARange() {
        let low = measure(.low, target: 20)
        #expect(low.rag(value: 19, previous: nil) == .green && low.rag(value: 20, previous: nil) == .green)
        #expect(low.rag(value: 21.5, previous: nil) == .amber)               // within the tolerance
        #expect(low.rag(value: 30, previous: 35) == .amber)                  // improving
        #expect(low.rag(value: 30, previous: 25) == .red)
        let high = measure(.high, target: 90)
        #expect(high.rag(value: 95, previous: nil) == .green && high.rag(value: 80, previous: 85) == .red)
        #expect(high.rag(value: 80, previous: 70) == .amber)
        let none = measure(.none, range: 20...35, tolerance: 5)
        #expect(none.rag(value: 25, previous: nil) == .green && none.rag(value: 38, previous: nil) == .amber && none.rag(value: 41, previous: nil) == .red)
        #expect(measure(.low).rag(value: 10, previous: nil) == nil && low.rag(value: nil, previous: 3) == nil)
    }
}

/// The national quartile, A the best quarter, by polarity.
@Suite("Benchmarks")
struct BenchmarkTests {
    @Test func quartilesFollowPolarity() {
        var high = Benchmark(measure: "ASSESSMENTS_45WD", year: "2024-25", national: 85.7, statisticalNeighbours: nil, quartiles: [90, 85, 80], source: "", note: "")
        #expect([95.0, 90, 87, 82, 70].map { high.quartile(of: $0, polarity: .high) } == ["A", "A", "B", "C", "D"])
        high.quartiles = [15, 20, 25]
        #expect([10.0, 18, 22, 30].map { high.quartile(of: $0, polarity: .low) } == ["A", "B", "C", "D"])
        #expect(high.quartile(of: 10, polarity: .none) == nil)
        high.quartiles = nil
        #expect(high.quartile(of: 10, polarity: .low) == nil)
    }

    @Test func theShippedValuesSayWhereTheyCameFrom() {
        for b in catalogue.benchmarks where b.national != nil || b.statisticalNeighbours != nil || b.quartiles != nil {
            #expect(b.source.contains("DfE") && !b.year.isEmpty, "\(b.measure)")
        }
        #expect(catalogue.benchmarks.first { $0.measure == "ASSESSMENTS_45WD" }?.national == 85.7)
    }
}
