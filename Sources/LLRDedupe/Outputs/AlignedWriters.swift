import LLRCore

/// The writers of the aligned outputs and what they share: the rows, the
/// clusters, each row's partner and start day, and the person ids' order.
struct AlignedWriters: Sendable {
    let c: OutputContext
    let result: LinkResult
    let memberOf: [Int32]
    let outDir: String
    let jobs: Int
    let plainCopies: [String: String]
    let pending = PendingOutputs()
    let start: [Int32]
    /// Partners as small numbers in code order, so a set of them is a bit
    /// mask and its text (`LCC;LP`) is made once per distinct set.
    let partnerCodes: [String]
    let partnerOf: [UInt8]
    /// Clusters in person-id order, and each cluster's place in it.
    let clusterOrder: [Int]
    let rank: [Int32]

    init(_ c: OutputContext, result: LinkResult, memberOf: [Int32], outDir: String, jobs: Int, plainCopies: [String: String]) throws {
        self.c = c; self.result = result; self.memberOf = memberOf; self.outDir = outDir; self.jobs = jobs; self.plainCopies = plainCopies
        let n = c.count
        start = (0..<n).map { c.row($0).start }
        partnerCodes = Array(Set(c.loaded.map { $0.source.name.partner })).sorted()
        let partnerNumber = Dictionary(uniqueKeysWithValues: partnerCodes.enumerated().map { ($1, UInt8($0)) })
        let returnPartner = c.loaded.map { partnerNumber[$0.source.name.partner]! }
        partnerOf = (0..<n).map { returnPartner[Int(c.rowReturn[$0])] }
        guard partnerCodes.count <= 64 else { throw OutputError("more than 64 partners: widen the partner sets in DedupeOutputs") }
        clusterOrder = personIdOrder(c.personId)
        var ranks = [Int32](repeating: 0, count: result.clusterCount)
        for (i, k) in clusterOrder.enumerated() { ranks[k] = Int32(i) }
        rank = ranks
    }

    /// events: one row per real-world event, each child's together in date
    /// order (a child's history reads top to bottom, and llr.sqlite's index
    /// on the person id is built from rows already in its order, four times
    /// faster than from rows in date order).
    func writeEvents() throws {
        let n = c.count
        var groupSize = [Int32](repeating: 0, count: n)
        var groupPartners = [UInt64](repeating: 0, count: n)
        for g in 0..<n {
            let o = Int(c.owner[g])
            groupSize[o] += 1
            groupPartners[o] |= 1 << UInt64(partnerOf[g])
        }
        let owners = PackedOrder.indices(n, include: { c.owner[$0] == Int32($0) }) {
            (PackedOrder.pair(rank[Int(c.cluster[$0])], PackedOrder.ordered(start[$0])), 0)
        }.map(Int.init)
        let attributeHeader = c.loaded.first?.attributeHeader ?? []
        let events = try FastCSVGzipRows(path: outDir + "/events.csv.gz", header: AlignedTables.eventCore + attributeHeader, level: 1,
                                         background: jobs > 1, plainCopy: plainCopies["events.csv.gz"])
        var partnerSets = PartnerSetNames(partnerCodes)
        try c.eventIds.withCells { ev in
            try c.personIds.withCells { pe in
                for (i, g) in owners.enumerated() {
                    c.prefetch(ahead: i, of: owners.count, bytes: \.core) { owners[$0] }
                    let l = c.ret(g), r = c.row(g)
                    c.writeIds(g, events, ev, pe)
                    events.verbatim(l.bytes(r.core))
                    events.verbatim(partnerSets.name(groupPartners[g]))
                    events.int(Int(groupSize[g]))
                    if !attributeHeader.isEmpty { events.verbatim(l.bytes(r.attributes)) }
                    try events.endRow()
                }
            }
        }
        pending.add(events)
    }

    /// persons: one row per child, in person-id order.
    func writePersons() throws {
        let n = c.count, count = result.clusterCount
        var firstSeen = [Int32](repeating: Int32.max, count: count)
        var lastSeen = [Int32](repeating: Int32.min, count: count)
        var partners = [UInt64](repeating: 0, count: count)
        for g in 0..<n {
            let k = Int(c.cluster[g])
            if start[g] != Int32.min { firstSeen[k] = min(firstSeen[k], start[g]); lastSeen[k] = max(lastSeen[k], start[g]) }
            partners[k] |= 1 << UInt64(partnerOf[g])
        }
        var sourceIds = [Int32](repeating: 0, count: count)
        // Distinct source persons per cluster: (cluster, member) pairs, packed and sorted.
        var byMember = (0..<n).map { PackedOrder.pair(c.cluster[$0], UInt32(bitPattern: memberOf[$0])) }
        byMember.sort()
        for (i, x) in byMember.enumerated() where i == 0 || byMember[i - 1] != x { sourceIds[Int(x >> 32)] += 1 }
        var probabilistic = [Bool](repeating: false, count: count)
        for e in result.edges where e.rule == LinkEdge.probabilistic { probabilistic[Int(c.cluster[Int(e.a)])] = true }
        let persons = try FastCSVGzipRows(path: outDir + "/persons.csv.gz", header: AlignedTables.persons, level: 1,
                                          background: jobs > 1, plainCopy: plainCopies["persons.csv.gz"])
        var partnerSets = PartnerSetNames(partnerCodes)
        for k in clusterOrder {
            persons.cell(c.personId[k])
            persons.cell(firstSeen[k] == Int32.max ? "" : isoDate(dayNumber: firstSeen[k]))
            persons.cell(lastSeen[k] == Int32.min ? "" : isoDate(dayNumber: lastSeen[k]))
            persons.verbatim(partnerSets.name(partners[k]))
            persons.int(Int(sourceIds[k]))
            persons.cell(probabilistic[k] ? "probabilistic" : (sourceIds[k] > 1 ? "deterministic" : "single"))
            try persons.endRow()
        }
        pending.add(persons)
    }

    /// person_identifiers (restricted): each distinct set of details behind each person.
    func writePersonIdentifiers() throws {
        let n = c.count
        var seen = HashIndex(capacity: n / 4)
        var identityRows: [(Int32, Int32)] = []
        for g in 0..<n {
            let l = c.ret(g), r = c.row(g)
            let h = identifierHash(l.bytes(r.identity), seed: UInt64(UInt32(bitPattern: c.cluster[g])) &* 0x9E37_79B9 ^ l.partnerSeed)
            if seen.insert(h, row: g) == nil { identityRows.append((rank[Int(c.cluster[g])], Int32(g))) }
        }
        identityRows.sort { $0 < $1 }
        let identifiers = try FastCSVGzipRows(path: outDir + "/person_identifiers.csv.gz", header: AlignedTables.personIdentifiers,
                                              level: 1, background: jobs > 1)
        let partnerCells = EncodedCells()
        let partnerRuns = partnerCodes.map { partnerCells.cell($0) }
        try c.personIds.withCells { pe in
            for (i, (_, g32)) in identityRows.enumerated() {
                c.prefetch(ahead: i, of: identityRows.count, bytes: \.identity) { Int(identityRows[$0].1) }
                let g = Int(g32), l = c.ret(g), r = c.row(g)
                writeId(pe[Int(c.cluster[g])], identifiers, plain: pe.plain)
                identifiers.verbatim(partnerRuns[Int(partnerOf[g])])
                identifiers.verbatim(l.bytes(r.identity))
                try identifiers.endRow()
            }
        }
        pending.add(identifiers)
    }
}
