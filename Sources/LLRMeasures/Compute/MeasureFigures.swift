import LLRCore

/// One figure of the catalogue: a measure, a quarter and an area.
public struct MeasureFigure: Sendable, Equatable {
    public var measure: String
    public var quarter: FinancialQuarter
    /// An LA code, or the LLR total's code.
    public var area: String
    public var isTotal: Bool
    public var numerator: Int?
    public var denominator: Int?
    public var value: Double?
    public var unit: MeasureUnit
    public var polarity: Polarity
    public var previousValue: Double?
    /// up, down or no change; for a measure with a polarity, improving or worsening.
    public var direction = ""
    /// For a measure that looks back: the quarter its history runs from.
    public var historyFrom = ""
    /// Why the value is empty, when it is.
    public var note = ""
    public var rag: RAG?
    /// The figure for this quarter changed since it was first published
    /// (late data, a resubmission); `firstPublished` is what was published then.
    public var revised = false
    public var firstPublished: Double?
}

extension MeasureFigure {
    /// The same measure and area in quarter `q` ("CONTACTS|2024-25_Q1|LLR"),
    /// to find a figure among the others (and in the state's history).
    func key(in q: FinancialQuarter) -> String { "\(measure)|\(q.fileToken)|\(area)" }
    var key: String { key(in: quarter) }
}

/// An event behind a figure's numerator (restricted: it names the child).
public struct MeasureMember: Sendable, Equatable {
    public var measure: Int32
    public var quarter: Int32
    public var area: Int16
    public var event: Int32
}

/// The nightly result: every figure, and the events behind each.
public struct MeasureResult: Sendable {
    public var figures: [MeasureFigure] = []
    public var members: [MeasureMember] = []
    /// Problems that left figures empty (a date outside the bank holidays' years).
    public var problems: [String] = []
    /// Partners' own figures that disagree with their records, once reconciled.
    public var discrepancies: [Discrepancy] = []
    public init() {}
}
