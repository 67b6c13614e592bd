import LLRCore

/// What a rule sees of the current row. Field indexes are schema indexes.
protocol RowContext: AnyObject {
    /// The trimmed cell, or nil when the column is not in the file.
    func cell(_ field: Int) -> UnsafeBufferPointer<UInt8>?
    /// Minutes since 1970 for a date/datetime, the number for an integer;
    /// nil when empty or not valid (the cell check has reported that).
    func value(_ field: Int) -> Int64?
    func fieldName(_ field: Int) -> String
    var quarter: FinancialQuarter? { get }
    /// The quarter's first and last days as day numbers, worked out once.
    var quarterDays: (first: Int, last: Int)? { get }
    var asOf: CivilDate { get }
    /// `asOf` as a day number, worked out once.
    var asOfDay: Int { get }
    var registry: PartnerRegistry { get }
    func catalogSeverity(_ code: FindingCode) -> Severity
    func report(_ code: FindingCode, severity: Severity, field: Int?, _ message: @autoclosure () -> String)
}

extension RowContext {
    func isEmpty(_ field: Int) -> Bool { (cell(field)?.count ?? 0) == 0 }
    func text(_ field: Int) -> String { cell(field).map { displayString($0) } ?? "" }

    func holds(_ c: CompiledCondition) -> Bool {
        guard let cell = cell(c.field) else { return false }
        if let isEmpty = c.isEmpty, (cell.count == 0) != isEmpty { return false }
        if let codes = c.codes, !codes.contains(where: { cell.equals($0) }) { return false }
        return true
    }
}

/// A `RowCondition` with its field resolved to a schema index.
struct CompiledCondition {
    let field: Int
    let codes: [[UInt8]]?
    let isEmpty: Bool?
    let describe: String

    init(_ c: RowCondition, schema: FamilySchema) {
        field = schema.index(of: c.field)!
        codes = c.isIn.map { $0.map { Array($0.utf8) } }
        isEmpty = c.isEmpty
        if let list = c.isIn {
            describe = "\(c.field) is \(list.joined(separator: " or "))"
        } else {
            describe = "\(c.field) is \(c.isEmpty == true ? "empty" : "given")"
        }
    }
}

func dayString(_ day: Int) -> String {
    let d = CivilDate(dayNumber: day)
    func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(pad(d.day))/\(pad(d.month))/\(d.year)"
}

/// Two values of a row that must be in order, `low` not above `high` (a
/// start and its end, a numerator and its denominator); the finding sits on
/// the cell `at`, and `message` words it from the row.
final class OrderedPairCheck: RowCheck {
    let low: Int, high: Int, at: Int, code: FindingCode, severity: Severity
    let message: (ReturnValidator) -> String

    init(low: Int, high: Int, at: Int, code: FindingCode, severity: Severity, message: @escaping (ReturnValidator) -> String) {
        self.low = low; self.high = high; self.at = at; self.code = code; self.severity = severity; self.message = message
    }

    override func check(_ row: ReturnValidator) {
        guard let l = row.value(low), let h = row.value(high), h < l else { return }
        row.report(code, severity: severity, field: at, message(row))
    }
}
