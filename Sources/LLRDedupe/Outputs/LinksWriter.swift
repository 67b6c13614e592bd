import LLRCore

extension AlignedWriters {
    /// links: every pair that joined two clusters, with its rule or weight.
    func writeLinks() throws {
        let links = try FastCSVGzipRows(path: outDir + "/links.csv.gz", header: AlignedTables.links, level: 1, background: jobs > 1)
        let sortedEdges = PackedOrder.indices(result.edges.count) { i in
            let e = result.edges[i]
            return (PackedOrder.pair(rank[Int(c.cluster[Int(e.a)])], UInt32(bitPattern: e.a)), UInt32(bitPattern: e.b))
        }.map { result.edges[Int($0)] }
        // File names and rule names escaped once, not on every row.
        let constants = EncodedCells()
        let fileCells = c.loaded.map { constants.cell($0.source.sourceFile) }
        var ruleCells: [Int16: ByteRun] = [:]
        for e in sortedEdges where ruleCells[e.rule] == nil { ruleCells[e.rule] = constants.cell(ruleName(e.rule, c.linkage)) }
        try c.personIds.withCells { pe in
            for (i, e) in sortedEdges.enumerated() {
                if i + 16 < sortedEdges.count {
                    c.prefetchNumbers(Int(sortedEdges[i + 16].a))
                    c.prefetchNumbers(Int(sortedEdges[i + 16].b))
                }
                if i + 8 < sortedEdges.count {
                    c.prefetchRecord(Int(sortedEdges[i + 8].a))
                    c.prefetchRecord(Int(sortedEdges[i + 8].b))
                }
                let a = Int(e.a), b = Int(e.b)
                writeId(pe[Int(c.cluster[a])], links, plain: pe.plain)
                links.verbatim(fileCells[Int(c.rowReturn[a])]); links.int(Int(c.row(a).sourceRow))
                links.verbatim(fileCells[Int(c.rowReturn[b])]); links.int(Int(c.row(b).sourceRow))
                links.verbatim(ruleCells[e.rule]!)
                if e.rule == LinkEdge.probabilistic || e.rule == LinkEdge.sameDetails { links.cell(weightText(e.weight)) } else { links.empty() }
                try links.endRow()
            }
        }
        pending.add(links)
    }

    /// review.csv: uncertain pairs with what a person needs to decide (restricted).
    func writeReview() throws {
        let review = try AtomicOutputFile(path: outDir + "/review.csv")
        var text = CSVRowBuilder()
        for h in AlignedTables.review { text.add(h) }
        text.endRow()
        for e in result.review.sorted(by: { ($0.weight, $1.a, $1.b) > ($1.weight, $0.a, $0.b) }) {
            text.add(weightText(e.weight))
            text.add(reviewReason(e, c.linkage))
            for g in [Int(e.a), Int(e.b)] {
                let l = c.ret(g), r = c.row(g)
                text.add(c.personId[Int(c.cluster[g])]); text.add(l.source.sourceFile); text.add(Int(r.sourceRow))
                for s in [r.forename, r.surname, r.dob, r.postcode] { text.add(l.bytes(s)) }
            }
            text.endRow()
            if text.bytes.count > 1 << 20 { try review.write(text.bytes); text.removeAll() }
        }
        try review.write(text.bytes)
        pending.add(review)
    }
}

/// Why a pair waits for review, in the words review.csv gives.
func reviewReason(_ e: LinkEdge, _ linkage: LinkageSettings) -> String {
    if e.rule >= 0 { return "same id, different child? (\(linkage.deterministic[Int(e.rule)].field) shared; names and date of birth disagree)" }
    if Double(e.weight) >= linkage.matchWeight { return "details agree, but the two hold different \(linkage.guards.joined(separator: " or "))" }
    return "details partly agree (weight between the review and match weights)"
}
