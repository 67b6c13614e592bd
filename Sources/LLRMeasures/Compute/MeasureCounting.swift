import LLRCore

extension MeasureEngine {
    /// A measure's own events, quarter by quarter: which are counted, then
    /// the count per area and for the total (events, or children once each).
    func count(_ m: MeasureDefinition, number: Int32) -> CountedMeasure {
        let select = EventFilter(m.events!, events: events)
        let candidates = (0..<events.count).filter { select.matches($0, in: events) && events.area[$0] != MeasureEvents.outside }
        var counted = CountedMeasure(numerators: [:], members: [], problems: [])
        let byQuarter = quarterBuckets(candidates, m.dates!)
        var deadlines = WorkingDayDeadlines(days: catalogue.workingDays)
        // Each childHas condition's kinds, made into a test once.
        let filters = m.conditions.map { c -> EventFilter? in
            if case .childHas(let kinds, _, _) = c { return EventFilter(kinds, events: events) }
            return nil
        }
        for (qi, q) in quarters.enumerated() {
            let first = Int32(q.firstDay.dayNumber), last = Int32(q.lastDay.dayNumber)
            var chosen: [Int32] = []
            for e in byQuarter?[qi] ?? candidates where inQuarter(e, m.dates!, first: first, last: last) {
                do throws(WorkingDays.OutsideYears) {
                    if try meets(e, m.conditions, filters, quarterEnd: last, deadlines: &deadlines) { chosen.append(Int32(e)) }
                } catch {
                    counted.problems.append("\(m.code) \(q): \(error)")
                }
            }
            if m.countsChildren { chosen = childrenQualifying(chosen, m) }
            counted.numerators[Int32(qi)] = tally(chosen, children: m.countsChildren)
            counted.members += chosen.map { MeasureMember(measure: number, quarter: Int32(qi), area: events.area[Int($0)], event: $0) }
        }
        return counted
    }

    /// Events that start (or end) in a quarter, by quarter: each is looked
    /// at in its own quarter only. Nil for events open at quarter end, which
    /// may be open at several.
    func quarterBuckets(_ candidates: [Int], _ dates: QuarterDates) -> [[Int]]? {
        guard dates != .openAtQuarterEnd else { return nil }
        let bounds = quarters.map { (Int32($0.firstDay.dayNumber), Int32($0.lastDay.dayNumber)) }
        var out = [[Int]](repeating: [], count: quarters.count)
        for e in candidates {
            let day = dates == .startsInQuarter ? events.start[e] : events.end[e]
            if let qi = bounds.firstIndex(where: { day >= $0.0 && day <= $0.1 }) { out[qi].append(e) }
        }
        return out
    }

    @inline(__always) func inQuarter(_ e: Int, _ dates: QuarterDates, first: Int32, last: Int32) -> Bool {
        let s = events.start[e], end = events.end[e]
        switch dates {
        case .startsInQuarter: return s >= first && s <= last
        case .endsInQuarter: return end != MeasureEvents.noDay && end >= first && end <= last
        case .openAtQuarterEnd: return s <= last && (end == MeasureEvents.noDay || end > last)
        }
    }

    func meets(_ e: Int, _ conditions: [MeasureCondition], _ filters: [EventFilter?], quarterEnd: Int32,
               deadlines: inout WorkingDayDeadlines) throws(WorkingDays.OutsideYears) -> Bool {
        for (c, filter) in zip(conditions, filters) {
            switch c {
            case .startedDaysBeforeQuarterEnd(let days):
                if quarterEnd - events.start[e] < Int32(days) { return false }
            case .endedWithinWorkingDays(let days):
                let end = events.end[e]
                if end == MeasureEvents.noDay { return false }
                if end > (try deadlines.deadline(start: events.start[e], workingDays: days)) { return false }
            case .childHas(_, let when, let days):
                if !childHas(e, filter!, when: when, days: Int32(days), quarterEnd: quarterEnd) { return false }
            }
        }
        return true
    }

    /// Whether the child of event `e` has another event of the kinds, as `when` says.
    func childHas(_ e: Int, _ select: EventFilter, when: ChildHasWhen, days: Int32, quarterEnd: Int32) -> Bool {
        let s = events.start[e]
        for o32 in events.events(ofPerson: events.person[e]) {
            let o = Int(o32)
            guard o != e, select.matches(o, in: events) else { continue }
            let os = events.start[o], oe = events.end[o]
            switch when {
            case .startedWithinDaysBefore: if os < s && os >= s - days { return true }
            case .startedBefore: if os < s { return true }
            case .openOnStart: if os <= s && (oe == MeasureEvents.noDay || oe >= s) { return true }
            case .datedWithinDaysOfQuarterEnd: if os <= quarterEnd && os > quarterEnd - days { return true }
            }
        }
        return false
    }

    /// Of the chosen events, those of children who meet the measure's
    /// per-child thresholds (events in the quarter, families).
    func childrenQualifying(_ chosen: [Int32], _ m: MeasureDefinition) -> [Int32] {
        guard m.perChildAtLeast != nil || m.familiesPerChildAtLeast != nil else { return chosen }
        var byChild: [Int32: (count: Int, families: UInt32)] = [:]
        for e in chosen {
            let p = events.person[Int(e)]
            let now = byChild[p] ?? (0, 0)
            byChild[p] = (now.count + 1, now.families | events.families[Int(e)])
        }
        return chosen.filter { e in
            let c = byChild[events.person[Int(e)]]!
            return c.count >= (m.perChildAtLeast ?? 1) && c.families.nonzeroBitCount >= (m.familiesPerChildAtLeast ?? 1)
        }
    }

    /// Counts per area and for the total: events, or each child once per
    /// area where one of its events lies and once in the total.
    func tally(_ chosen: [Int32], children: Bool) -> [Int16: Int] {
        var out: [Int16: Int] = [:]
        if !children {
            for e in chosen { out[events.area[Int(e)], default: 0] += 1 }
            out[Self.total] = chosen.count
            return out
        }
        var seen = Set<UInt64>(), people = Set<Int32>()
        for e in chosen {
            let p = events.person[Int(e)], a = events.area[Int(e)]
            people.insert(p)
            if seen.insert(UInt64(UInt32(bitPattern: p)) << 16 | UInt64(UInt16(bitPattern: a))).inserted { out[a, default: 0] += 1 }
        }
        out[Self.total] = people.count
        return out
    }
}

/// The last day within N working days of each start day, worked out once per day.
struct WorkingDayDeadlines {
    let days: WorkingDays
    private var known: [Int64: Int32] = [:]

    init(days: WorkingDays) { self.days = days }

    mutating func deadline(start: Int32, workingDays n: Int) throws(WorkingDays.OutsideYears) -> Int32 {
        let key = Int64(start) << 16 | Int64(n)
        if let d = known[key] { return d }
        let d = Int32(try days.adding(n, workingDaysTo: Int(start)))
        known[key] = d
        return d
    }
}
