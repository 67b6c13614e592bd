import LLRCore

/// Each cluster's `llr_person_id`, and what changed in the state's memory.
struct PersonIds: Sendable {
    let personId: [String]
    let newPersons: [String]
    let newAliases: [(String, String)]
}

/// The ids of contract §4 persons: a cluster keeps the oldest id any of its
/// members had, other ids become aliases; a new child's id is a keyed
/// pseudonym of their earliest record.
func givePersonIds(_ rows: ReceivedRows, persons: LinkedPersons, state: LinkageState?, run: inout DedupeRun) -> PersonIds {
    let link = persons.link
    var personId = [String](repeating: "", count: link.clusterCount)
    let (taken, newAliases) = keepEarlierIds(persons, state: state, into: &personId)
    let newPersons = giveNewIds(rows, persons: persons, state: state, taken: taken, pseudonyms: run.pseudonyms,
                                jobs: run.options.jobs, into: &personId)
    run.summary.newPersons = newPersons.count
    run.summary.aliases = newAliases.count
    run.summary.persons = link.clusterCount
    return PersonIds(personId: personId, newPersons: newPersons, newAliases: newAliases)
}

/// An earlier id goes to the cluster holding most of the records that had
/// it: when a partner's id turns out to cover two children, the id cannot
/// end up on both (ties go to the lowest cluster number). Holdings are
/// counted from (earlier id, cluster) pairs packed and sorted, one per record.
private func keepEarlierIds(_ persons: LinkedPersons, state: LinkageState?,
                            into personId: inout [String]) -> (taken: Set<String>, aliases: [(String, String)]) {
    let link = persons.link, memberOf = persons.members.memberOf
    var holdings: [UInt64] = []
    for g in link.cluster.indices {
        let k = persons.priorOf[Int(memberOf[g])]
        if k >= 0 { holdings.append(PackedOrder.pair(k, UInt32(link.cluster[g]))) }
    }
    var knownOf = [[String]](repeating: [], count: link.clusterCount)
    for (k, owner) in keepersOfEarlierIds(holdings) { knownOf[owner].append(persons.priorIds[k]) }
    var taken = Set<String>(), aliases: [(String, String)] = []
    for c in 0..<link.clusterCount {
        let known = knownOf[c]
        if let survivor = known.min(by: { (state!.created[$0] ?? Int.max, $0) < (state!.created[$1] ?? Int.max, $1) }) {
            personId[c] = survivor
            taken.insert(survivor)
            for other in known where other != survivor { aliases.append((other, survivor)) }
        }
    }
    return (taken, aliases)
}

/// A new child: the id comes from the earliest record (quarter first), so
/// adding later quarters keeps it. (Quarter, then member pseudonym: names
/// are compared only on a tie.) Each cluster's on its own, on the workers.
/// Returns the ids no earlier night gave.
private func giveNewIds(_ rows: ReceivedRows, persons: LinkedPersons, state: LinkageState?, taken: Set<String>,
                        pseudonyms: Pseudonymiser, jobs: Int, into personId: inout [String]) -> [String] {
    let link = persons.link
    let clusterRows = Grouping(keys: link.cluster, keyCount: link.clusterCount)
    let unknown = personId.map(\.isEmpty)
    let memberOf = persons.members.memberOf, names = persons.members.names
    let returnQuarter = rows.returnQuarter, rowReturn = rows.rowReturn
    let anchorOf = concurrentMapInChunks(link.clusterCount, jobs: jobs) { c -> Int32 in
        guard unknown[c] else { return -1 }
        var anchor = -1
        for g32 in clusterRows.members(c) {
            let g = Int(g32)
            if anchor < 0 { anchor = g; continue }
            let q = returnQuarter[Int(rowReturn[g])], best = returnQuarter[Int(rowReturn[anchor])]
            if q < best || (q == best && memberOf[g] != memberOf[anchor] && names[Int(memberOf[g])] < names[Int(memberOf[anchor])]) { anchor = g }
        }
        return Int32(anchor)
    }
    let fresh = (0..<link.clusterCount).filter { anchorOf[$0] >= 0 }
    let anchors = fresh.map { names[Int(memberOf[Int(anchorOf[$0])])] }
    let freshIds = concurrentMapInChunks(fresh.count, jobs: jobs) { i in pseudonyms.id("person", Array(anchors[i].utf8)) }
    var taken = taken, newPersons: [String] = []
    // Sized once: growing a set of a million ids rehashed it a dozen times, on one core.
    taken.reserveCapacity(taken.count + fresh.count)
    newPersons.reserveCapacity(fresh.count)
    for (i, c) in fresh.enumerated() {
        // Two children whose earliest records share a partner's id (one id reused for two
        // children) would get one pseudonym: the later cluster takes the next one in turn.
        var id = freshIds[i], turn = 1
        while !taken.insert(id).inserted {
            turn += 1
            id = pseudonyms.id("person", Array((anchors[i] + "#\(turn)").utf8))
        }
        personId[c] = id
        // New only if no earlier night gave it: the second of two children
        // sharing a partner's id gets the same next-in-turn id every night.
        if state?.created[id] == nil { newPersons.append(id) }
    }
    return newPersons
}
