import LLRCore

/// `Pipelines/merge.yaml`: when returns are due, how small counts are
/// suppressed in the published extract, and what the all-area row is called.
public struct MergeSettings: Sendable {
    public var dueDaysAfterQuarterEnd: Int
    public var firstQuarter: FinancialQuarter
    public var scheduleSource: String
    public var suppressMinimum: Int
    public var suppressMaximum: Int
    public var suppressionMarker: String
    public var suppressionSource: String
    public var totalCode: String
    public var totalName: String
    /// The run report's trend charts beyond all events: one per event type.
    public var reportTrends: [ReportTrend] = []

    public struct ReportTrend: Sendable {
        public var eventType: String
        public var title: String
        public var line: Int
    }

    public static func load(directory: String) throws(PipelineError) -> MergeSettings {
        let name = "merge.yaml"
        var root = try StrictMap(StrictMap.loadRoot(path: directory + "/" + name, displayName: name), file: name, what: "the merge settings")
        guard var schedule = try root.map("schedule") else { throw PipelineError(file: name, line: root.line, "'schedule' is required") }
        let source = try schedule.requiredString("source")
        let due = try schedule.int("dueDaysAfterQuarterEnd", default: 30, in: 0...366, " days after the quarter ends")
        let firstText = try schedule.requiredString("firstQuarter")
        guard let first = FinancialQuarter(firstText) else {
            throw schedule.error("firstQuarter", "'\(firstText)' is not a quarter: write it like 2024-25_Q1")
        }
        try schedule.finish()
        guard var sup = try root.map("suppression") else { throw PipelineError(file: name, line: root.line, "'suppression' is required") }
        let supSource = try sup.requiredString("source")
        let minimum = try sup.int("minimum", default: 1, in: 0...)
        let maximum = try sup.int("maximum") ?? 4
        let marker = try sup.string("marker") ?? "[c]"
        if minimum > maximum { throw sup.error("maximum", "maximum (\(maximum)) is below minimum (\(minimum))") }
        // An empty marker would look like a count nobody recorded.
        if marker.allSatisfy(\.isWhitespace) { throw sup.error("marker", "marker must not be empty: suppressed counts would look like missing ones (GSS: [c])") }
        try sup.finish()
        guard var total = try root.map("total") else { throw PipelineError(file: name, line: root.line, "'total' is required") }
        let code = try total.requiredString("code"), totalName = try total.requiredString("name")
        try total.finish()
        var trends: [ReportTrend] = []
        if var report = try root.map("runReport") {
            for node in try report.list("trends") ?? [] {
                var t = try StrictMap(node, file: name, what: "a trend chart")
                trends.append(ReportTrend(eventType: try t.requiredString("eventType"), title: try t.requiredString("title"), line: t.line))
                try t.finish(allowed: ["eventType", "title"])
            }
            try report.finish(allowed: ["trends"])
        }
        try root.finish()
        return MergeSettings(dueDaysAfterQuarterEnd: due, firstQuarter: first, scheduleSource: source,
                             suppressMinimum: minimum, suppressMaximum: maximum, suppressionMarker: marker,
                             suppressionSource: supSource, totalCode: code, totalName: totalName, reportTrends: trends)
    }

    /// Every event type named here is a canonical one of the contract.
    public func check(against contract: Pipelines) throws(PipelineError) {
        let types = ContractNames("a canonical event type (mappings.yaml)", contract.mappings.canonicalEventTypes)
        for t in reportTrends { try types.check(t.eventType, file: "merge.yaml", line: t.line, in: "runReport.trends") }
    }

    /// The last day a quarter's return is on time.
    public func dueDate(_ q: FinancialQuarter) -> CivilDate { CivilDate(dayNumber: q.lastDay.dayNumber + dueDaysAfterQuarterEnd) }

    public func suppressed(_ count: Int) -> Bool { count >= suppressMinimum && count <= suppressMaximum }
}
