import LLRCore

/// Small-count suppression for the published measures (contract §7, as for
/// the indicators): a figure whose numerator or denominator count is in the
/// suppressed range is withheld whole (its value too, a percentage or rate
/// made from it); then, within a measure and quarter, when exactly one area
/// is withheld, the smallest other area with a non-zero count is too, so
/// the LLR total cannot give it back. The population is not a count of
/// children in the data and is never withheld.
public struct MeasureSuppression: Sendable {
    public var withheld: [Bool]
    /// The quarter before was withheld: its value is not shown beside this one.
    public var withheldBefore: [Bool]
    public let marker: String
    let range: ClosedRange<Int>

    /// A count the rules withhold.
    public func isSmall(_ n: Int) -> Bool { range.contains(n) }

    public init(_ figures: [MeasureFigure], minimum: Int, maximum: Int, marker: String) {
        self.marker = marker
        range = minimum...max(minimum, maximum)
        let range = self.range
        func small(_ n: Int?) -> Bool { n.map { range.contains($0) } ?? false }
        var withheld = figures.map { f in small(f.numerator) || (f.unit == .percent && small(f.denominator)) }
        var groups: [String: [Int]] = [:]
        for (i, f) in figures.enumerated() where !f.isTotal { groups["\(f.measure)|\(f.quarter.fileToken)", default: []].append(i) }
        for members in groups.values.sorted(by: { $0[0] < $1[0] }) {
            let hidden = members.filter { withheld[$0] }
            guard hidden.count == 1 else { continue }
            // A percentage withheld for its denominator gives the denominator
            // back by subtraction too: the next smallest is taken by the
            // denominator then, by the numerator otherwise.
            func size(_ i: Int) -> Int { figures[i].unit == .percent ? figures[i].denominator ?? 0 : figures[i].numerator ?? 0 }
            let others = members.filter { !withheld[$0] && size($0) > 0 }
            if let next = others.min(by: { (size($0), figures[$0].area) < (size($1), figures[$1].area) }) {
                withheld[next] = true
            }
        }
        var index: [String: Int] = [:]
        for (i, f) in figures.enumerated() { index[f.key] = i }
        withheldBefore = figures.map { f in
            let before = FinancialQuarter(containing: CivilDate(dayNumber: f.quarter.firstDay.dayNumber - 1))
            return index[f.key(in: before)].map { withheld[$0] } ?? false
        }
        self.withheld = withheld
    }

    func hidesNumerator(_ f: MeasureFigure) -> Bool { true }
    func hidesDenominator(_ f: MeasureFigure) -> Bool { f.unit == .percent }
}
