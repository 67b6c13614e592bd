import LLRCore

/// `consistent-value`: a figure agrees with the numerator and denominator
/// given beside it, by its measure's unit: a count equals its numerator, a
/// percent is 100 × numerator ÷ denominator within `tolerance` points (a
/// rate needs the population, which a return does not hold, so is not checked).
public struct ConsistentValueRule: ValidationRule {
    public static let name = "consistent-value"
    public static let codes: [FindingCode] = [.partsMismatch]
    public static let summary = "A figure is what its numerator and denominator make, by its measure's unit (a count is its numerator; a percent 100 × numerator ÷ denominator, within the tolerance)."
    public let value: String, numerator: String, denominator: String, measure: String
    public let tolerance: Double

    public init(reading s: inout RuleSettings) throws(PipelineError) {
        value = try s.field("value")
        numerator = try s.field("numerator")
        denominator = try s.field("denominator")
        measure = try s.field("measure")
        tolerance = try s.double("tolerance") ?? 0.5
        guard tolerance >= 0 else { throw s.error("tolerance", "tolerance cannot be negative") }
    }
    public var describe: String { "\(value) agrees with \(numerator) / \(denominator) (within \(decimalText(tolerance, places: 2)))" }

    func compile(_ c: RuleCompiler) -> [RowCheck] {
        [Check(self, c.index, book: c.pipelines.measureCodes, severity: c.severity(.partsMismatch))]
    }

    final class Check: RowCheck {
        let value: Int, numerator: Int, denominator: Int, measure: Int, tolerance: Double, book: MeasureCodeBook, severity: Severity
        init(_ r: ConsistentValueRule, _ index: (String) -> Int, book: MeasureCodeBook, severity: Severity) {
            value = index(r.value); numerator = index(r.numerator); denominator = index(r.denominator); measure = index(r.measure)
            tolerance = r.tolerance; self.book = book; self.severity = severity
        }

        override func check(_ row: ReturnValidator) {
            guard let v = row.value(value).map({ Double($0) / 1000 }), let code = row.cell(measure).map({ displayString($0) }),
                  let unit = book.unit(of: code, partner: row.partner), let n = row.value(numerator) else { return }
            let expected: Double
            switch unit {
            case "count": expected = Double(n)
            case "percent":
                guard let d = row.value(denominator), d > 0 else { return }
                expected = 100 * Double(n) / Double(d)
            default: return
            }
            guard abs(v - expected) > (unit == "count" ? 0 : tolerance) else { return }
            let parts = unit == "count" ? "\(row.fieldName(numerator)) \(n)" : "\(n) of \(row.text(denominator)), \(decimalText(expected, places: 1))%"
            row.report(.partsMismatch, severity: severity, field: value,
                       "\(row.fieldName(value)) \(row.text(value)) for \(code) (a \(unit)) is not what its parts make (\(parts)): correct the figure or its parts")
        }
    }
}
