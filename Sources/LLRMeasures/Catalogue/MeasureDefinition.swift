import LLRCore

/// What a measure's figure is.
public enum MeasureUnit: String, Sendable, CaseIterable {
    case count, percent
    /// Per 10,000 children under 18 (`population` in mappings.yaml).
    case rate
}

/// Red, amber or green against the board's target (contract §7).
public enum RAG: String, Sendable, CaseIterable {
    case red, amber, green
}

/// Whether a higher value is better, worse, or neither.
public enum Polarity: String, Sendable, CaseIterable {
    case high, low, none
}

/// Which events a measure counts, by their dates and the quarter.
public enum QuarterDates: String, Sendable, CaseIterable {
    case startsInQuarter = "starts-in-quarter"
    case endsInQuarter = "ends-in-quarter"
    /// Started on or before the quarter's last day, with no end or an end after it.
    case openAtQuarterEnd = "open-at-quarter-end"
}

/// Events by canonical type and the family of the return they came from
/// (empty lists: any).
public struct EventKinds: Sendable, Equatable {
    public var types: [String]
    public var families: [String]
}

/// How another event of the same child stands to the counted one.
public enum ChildHasWhen: String, Sendable, CaseIterable {
    /// Another event starting in the `days` days before this one starts.
    case startedWithinDaysBefore = "started-within-days-before"
    /// Another event starting before this one.
    case startedBefore = "started-before"
    /// An event open on the day this one starts.
    case openOnStart = "open-on-start"
    /// An event dated in the `days` days up to the quarter's last day.
    case datedWithinDaysOfQuarterEnd = "dated-within-days-of-quarter-end"
}

/// A condition every counted event meets.
public enum MeasureCondition: Sendable, Equatable {
    /// Started `days` or more days before the quarter's last day.
    case startedDaysBeforeQuarterEnd(atLeast: Int)
    /// Ended within `days` working days of its start.
    case endedWithinWorkingDays(Int)
    /// The child has another event of these kinds, as `when` says.
    case childHas(EventKinds, when: ChildHasWhen, days: Int)
}

/// The denominator of a ratio.
public enum Denominator: Sendable, Equatable {
    /// Another measure's numerator.
    case measure(String)
    /// The area's children under 18.
    case population
}

/// One measure of the board's catalogue (contract §7), as
/// `Pipelines/measures.yaml` defines it.
public struct MeasureDefinition: Sendable {
    public var code: String
    public var title: String
    public var priority: String
    public var unit: MeasureUnit
    public var polarity: Polarity
    public var source: String
    /// Counting events (false) or children (true).
    public var countsChildren = false
    /// The events counted, and when; nil when the numerator is another measure's.
    public var events: EventKinds?
    public var dates: QuarterDates?
    public var conditions: [MeasureCondition] = []
    /// Children count only with this many counted events in the quarter.
    public var perChildAtLeast: Int?
    /// Children count only with counted events from this many families.
    public var familiesPerChildAtLeast: Int?
    /// Another measure whose numerator is this one's.
    public var numerator: String?
    public var denominator: Denominator?
    /// The board's target and how far from it is still amber (polarity-aware),
    /// or, for a measure with no polarity, the range expected.
    public var target: Double?
    public var tolerance: Double = 0
    public var expectedRange: ClosedRange<Double>?
    /// Who set the target, and when: a placeholder says so.
    public var targetSource = ""
    public var file = "measures.yaml"
    public var line = 0

    /// The measures this one's figure is made from.
    public var references: [String] {
        var out: [String] = []
        if let numerator { out.append(numerator) }
        if case .measure(let code) = denominator { out.append(code) }
        return out
    }

    /// Whether it looks back before the quarter (and says from when its history runs).
    public var looksBack: Bool {
        conditions.contains { if case .childHas(_, let when, _) = $0 { return when != .openOnStart }; return false }
    }
}

extension MeasureDefinition {
    /// The figure's status against the board's target: green on target (or
    /// in the expected range); amber within the tolerance, or moving the
    /// right way; red otherwise. Nil with no value or no target.
    public func rag(value: Double?, previous: Double?) -> RAG? {
        guard let v = value else { return nil }
        if let range = expectedRange {
            if range.contains(v) { return .green }
            return v >= range.lowerBound - tolerance && v <= range.upperBound + tolerance ? .amber : .red
        }
        guard let t = target, polarity != .none else { return nil }
        if polarity == .high ? v >= t : v <= t { return .green }
        let improving = previous.map { polarity == .high ? v > $0 : v < $0 } ?? false
        return abs(v - t) <= tolerance || improving ? .amber : .red
    }
}
