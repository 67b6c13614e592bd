import LLRCore

extension MeasureCatalogue {
    /// A measure's definition in plain English, from the catalogue (what a
    /// board paper's footnote says).
    public func explain(_ code: String) -> String? {
        guard let m = measure(code) else { return nil }
        var out = "\(m.code): \(m.title)\n"
        out += "Board priority: \(m.priority). Unit: \(unitText(m.unit)). \(polarityText(m.polarity))\n"
        out += "Definition: " + sentence(m) + "\n"
        out += "Areas: each local authority and LLR; a council's events count in its own authority, other events where the child lives or was; "
        out += "an event whose place is not recorded counts in LLR only\(m.countsChildren ? "; a child counts once in LLR and once in each area where one of their events lies" : "").\n"
        if m.looksBack { out += "It looks back before the quarter, as far as the dataset's history runs (history_from says from when).\n" }
        out += "Source: \(m.source)\n"
        return out
    }

    public func sentence(_ m: MeasureDefinition) -> String {
        let what = numeratorText(m)
        switch m.denominator {
        case nil: return what + "."
        case .population: return capitalised(what) + ", per 10,000 children under 18 (the population in mappings.yaml)."
        case .measure(let d): return capitalised(what) + ", as a percentage of \(d)" + (measure(d).map { " (\(numeratorText($0)))" } ?? "") + "."
        }
    }

    func capitalised(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }

    func numeratorText(_ m: MeasureDefinition) -> String {
        if let n = m.numerator { return "\(n)" + (measure(n).map { " (\(numeratorText($0)))" } ?? "") }
        guard let kinds = m.events, let dates = m.dates else { return "" }
        var s = m.countsChildren ? "children with " : ""
        s += kindsText(kinds) + " " + datesText(dates)
        for c in m.conditions { s += ", " + conditionText(c) }
        if let n = m.perChildAtLeast { s += ", \(n) or more of them in the quarter" }
        if let n = m.familiesPerChildAtLeast { s += ", from \(n) or more kinds of agency (police, health, council, voluntary sector)" }
        return s
    }

    func kindsText(_ k: EventKinds, plural: Bool = true) -> String {
        let noun = plural ? "events" : "event"
        let types = k.types.isEmpty ? noun : k.types.joined(separator: " or ") + " " + noun
        return k.families.isEmpty ? types : k.families.joined(separator: " or ") + " " + types
    }

    func datesText(_ d: QuarterDates) -> String {
        switch d {
        case .startsInQuarter: return "starting in the quarter"
        case .endsInQuarter: return "ending (completed) in the quarter"
        case .openAtQuarterEnd: return "open on the quarter's last day"
        }
    }

    func conditionText(_ c: MeasureCondition) -> String {
        switch c {
        case .startedDaysBeforeQuarterEnd(let n): return "that started \(n) or more days before the quarter's last day"
        case .endedWithinWorkingDays(let n): return "completed within \(n) working days of the start (England and Wales bank holidays skipped)"
        case .childHas(let k, let when, let days):
            switch when {
            case .startedWithinDaysBefore: return "whose child had another \(kindsText(k, plural: false)) starting in the \(days) days before it"
            case .startedBefore: return "whose child had an earlier \(kindsText(k, plural: false)) (started before it)"
            case .openOnStart: return "whose child had a \(kindsText(k, plural: false)) open on the day it started"
            case .datedWithinDaysOfQuarterEnd: return "whose child had a \(kindsText(k, plural: false)) dated in the \(days) days up to the quarter's last day"
            }
        }
    }

    func unitText(_ u: MeasureUnit) -> String {
        switch u {
        case .count: return "a count"
        case .percent: return "a percentage"
        case .rate: return "a rate per 10,000 children under 18"
        }
    }

    func polarityText(_ p: Polarity) -> String {
        switch p {
        case .high: return "Higher is better."
        case .low: return "Lower is better."
        case .none: return "Neither higher nor lower is better in itself."
        }
    }
}
