import LLRCore

/// One row of a partner's commentary return (contract §8): its own figure
/// for a measure in a quarter, what it means, and what the partner will do.
public struct CommentaryRow: Sendable, Equatable {
    public var partner: String
    public var quarter: FinancialQuarter
    public var measure: String
    public var value: Double?
    public var numerator: Int?
    public var denominator: Int?
    public var commentary: String
    public var action: String
    public var sourceFile: String
    public var sourceRow: Int
}

/// The commentary that counts tonight, as `commentary.csv.gz` in the
/// dataset folder holds it (the business unit's; the board's pack shows it).
public enum CommentaryTable {
    public static let header = ["partner", "financial_year", "quarter", "measure", "value", "numerator", "denominator",
                                "commentary", "action", "source_file", "source_row"]

    /// Every row, in partner, quarter and measure order; formula-like text
    /// escaped for spreadsheets (the rows keep the partner's words).
    public static func write(_ rows: [CommentaryRow], to path: String) throws(OutputError) {
        let sorted = rows.sorted { ($0.partner, $0.quarter, $0.measure) < ($1.partner, $1.quarter, $1.measure) }
        try writeTable(path: path, header: header, gzip: path.hasSuffix(".gz"), count: sorted.count) { i, w in
            let r = sorted[i]
            w.add(r.partner); w.add(r.quarter.financialYear); w.add("Q\(r.quarter.quarter)"); w.add(r.measure)
            w.add(r.value.map(plainNumber) ?? ""); w.add(r.numerator.map(String.init) ?? ""); w.add(r.denominator.map(String.init) ?? "")
            w.add(r.commentary); w.add(r.action); w.add(r.sourceFile); w.add(r.sourceRow)
        }
    }

    /// `commentary.csv.gz` of a dataset folder; none is no commentary.
    public static func read(path: String) throws(MeasureFailure) -> [CommentaryRow] {
        guard fileExists(path) else { return [] }
        var rows: [CommentaryRow] = []
        var cols: [Int] = []
        let problem = CSVFileRows.read(path: path, header: { cols = CSVFileRows.columns($0, header) }) { row in
            guard row.storedCount > CSVFileRows.lastColumn(cols) else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(cols[k]), as: UTF8.self) }
            guard let q = FinancialQuarter(text(1) + "_" + text(2)) else { return }
            rows.append(CommentaryRow(partner: text(0), quarter: q, measure: text(3), value: Double(text(4)), numerator: Int(text(5)),
                                      denominator: Int(text(6)), commentary: unescapedFormula(text(7)), action: unescapedFormula(text(8)),
                                      sourceFile: text(9), sourceRow: Int(text(10)) ?? 0))
        }
        if let problem { throw MeasureFailure("the commentary (\(path)) cannot be read: \(problem)") }
        return rows
    }

    /// The accepted rows of one commentary return, from the file the
    /// normaliser kept (`<stem>.statements.csv.gz`: `source_row` and the
    /// family's columns), by the family's roles.
    public static func readStatements(path: String, name: ReturnFileName, sourceFile: String, roles: [String: String]) throws(MeasureFailure) -> [CommentaryRow] {
        var rows: [CommentaryRow] = []
        var cols: [Int] = []
        let wanted = ["source_row"] + FamilySchema.statementRoleNames.map { roles[$0] ?? "" }
        let problem = CSVFileRows.read(path: path, header: { cols = CSVFileRows.columns($0, wanted) }) { row in
            guard row.storedCount > CSVFileRows.lastColumn(cols) else { return }
            func text(_ k: Int) -> String { String(decoding: row.cell(cols[k]), as: UTF8.self) }
            rows.append(CommentaryRow(partner: name.partner, quarter: name.quarter, measure: text(1), value: Double(text(2)),
                                      numerator: Int(text(3)), denominator: Int(text(4)), commentary: text(5), action: text(6),
                                      sourceFile: sourceFile, sourceRow: Int(text(0)) ?? 0))
        }
        if let problem { throw MeasureFailure("the commentary kept for \(sourceFile) (\(path)) cannot be read: \(problem)") }
        if cols.contains(-1) { throw MeasureFailure("the commentary kept for \(sourceFile) (\(path)) lacks columns of the family: normalise the return again") }
        return rows
    }
}

/// 12235 → "12235", 81.5 → "81.5": a figure as a partner would write it.
func plainNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    return decimalText(v, places: 3)
}

/// Text as a partner wrote it, from a cell the CSV writer escaped with a
/// leading apostrophe because it began like a formula.
func unescapedFormula(_ s: String) -> String {
    guard s.hasPrefix("'"), let second = s.utf8.dropFirst().first,
          [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D].contains(second) else { return s }
    return String(s.dropFirst())
}
