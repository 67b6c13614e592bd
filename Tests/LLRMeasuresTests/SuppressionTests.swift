import LLRCore
@testable import LLRMeasures
import Testing

/// The published measures withhold small counts and what is made from them.
@Suite("Published measures: suppression")
struct SuppressionTests {
    func figure(_ area: String, _ n: Int, _ d: Int? = nil, unit: MeasureUnit = .count) -> MeasureFigure {
        MeasureFigure(measure: "M", quarter: FinancialQuarter("2024-25_Q1")!, area: area, isTotal: area == "LLR", numerator: n, denominator: d,
                      value: d.map { Double(n) * 100 / Double($0) } ?? Double(n), unit: unit, polarity: .none)
    }

    @Test func aSmallCountAndTheNextSmallestAreaAreWithheld() {
        let s = MeasureSuppression([figure("LLR", 53), figure("A", 3), figure("B", 20), figure("C", 30)], minimum: 1, maximum: 4, marker: "[c]")
        #expect(s.withheld == [false, true, true, false])
    }

    @Test func aPercentageWithASmallDenominatorIsWithheldAndSoIsTheNextDenominator() {
        let s = MeasureSuppression([figure("LLR", 0, 164, unit: .percent), figure("A", 0, 2, unit: .percent), figure("B", 0, 86, unit: .percent),
                                    figure("C", 0, 76, unit: .percent)], minimum: 1, maximum: 4, marker: "[c]")
        #expect(s.withheld == [false, true, false, true])
    }

    @Test func zeroIsNotSuppressedAndTwoSmallAreasNeedNoMore() {
        let s = MeasureSuppression([figure("LLR", 5), figure("A", 0), figure("B", 2), figure("C", 3)], minimum: 1, maximum: 4, marker: "[c]")
        #expect(s.withheld == [false, false, true, true])
    }
}
