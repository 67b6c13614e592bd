import LLRCore

extension AlignedWriters {
    /// lineage: every source row received, with what became of it, file by
    /// file in name order. A superseded row's record key names the row that
    /// replaced it (the last to have it).
    func writeLineage() throws -> LineageCounts {
        let n = c.count
        var byKey = HashIndex(capacity: c.active.contains(false) ? n : 0)
        if c.active.contains(false) {
            for g in 0..<n {
                if g + 8 < n { byKey.prefetch(c.recordKeys[g + 8]) }
                let (slot, inserted) = byKey.slot(c.recordKeys[g], insertingRow: g)
                if !inserted { byKey.setRow(g, atSlot: slot) }
            }
        }
        let lineage = try FastCSVGzipRows(path: outDir + "/lineage.csv.gz", header: AlignedTables.lineage, level: 1, background: jobs > 1)
        let constants = EncodedCells()
        let statusRuns = lineageStatuses.map { constants.cell($0.rawValue) }
        var counted = LineageCounts()
        for ri in c.loaded.indices.sorted(by: { c.loaded[$0].source.sourceFile < c.loaded[$1].source.sourceFile }) {
            let l = c.loaded[ri]
            let entries = lineageEntries(ri, byKey: byKey)
            if !entries.isEmpty { counted.files.append(LineageFile(sourceFile: l.source.sourceFile, partner: l.source.name.partner)) }
            var counts = [Int](repeating: 0, count: lineageStatuses.count)
            let fileCell = constants.cell(l.source.sourceFile), partnerCell = constants.cell(l.source.name.partner)
            try c.eventIds.withCells { ev in
                try c.personIds.withCells { pe in
                    for (row, status, g) in entries {
                        counts[Int(status)] += 1
                        lineage.verbatim(fileCell); lineage.int(Int(row)); lineage.verbatim(partnerCell)
                        lineage.verbatim(statusRuns[Int(status)])
                        if g >= 0 { c.writeIds(Int(g), lineage, ev, pe) } else { lineage.empty(); lineage.empty() }
                        try lineage.endRow()
                    }
                }
            }
            for (i, s) in lineageStatuses.enumerated() { counted.status[s.rawValue, default: 0] += counts[i] }
            counted.received += entries.count
        }
        pending.add(lineage)
        return counted
    }

    /// One return's lineage rows: (row, status number, global row whose ids
    /// it takes or -1), in row order.
    private func lineageEntries(_ ri: Int, byKey: HashIndex) -> [(Int32, UInt8, Int32)] {
        let l = c.loaded[ri]
        var entries: [(Int32, UInt8, Int32)] = []
        entries.reserveCapacity(l.rows.count + l.rejected.count + l.duplicates.count + l.statements.count)
        if c.active[ri] {
            for k in l.rows.indices {
                let g = c.firstRow[ri] + k
                entries.append((l.rows[k].sourceRow, c.owner[g] == Int32(g) ? 0 : 1, Int32(g)))
            }
            let rowOf = RowsBySourceRow(l.rows.map(\.sourceRow))
            for (dup, first) in l.duplicates { entries.append((dup, 2, rowOf.index(of: first).map { Int32(c.firstRow[ri] + $0) } ?? -1)) }
            for rej in l.rejected { entries.append((rej, 4, -1)) }
            for s in l.statements { entries.append((s, 5, -1)) }
        } else {
            for r in l.rows { entries.append((r.sourceRow, 3, byKey.row(of: recordKey(l, r)).map { Int32($0) } ?? -1)) }
            for (dup, _) in l.duplicates { entries.append((dup, 3, -1)) }
            for rej in l.rejected { entries.append((rej, 3, -1)) }
            for s in l.statements { entries.append((s, 3, -1)) }
        }
        // A row once listed both as rejected and as a copy of another row
        // (normalised caches made before the validator stopped that), and the
        // lineage held it twice: every source row is in the lineage once,
        // rejected if it was rejected.
        entries.sort { ($0.0, $1.1) < ($1.0, $0.1) }
        entries.removeRepeatedRows()
        return entries
    }
}
