import LLRCore

/// The aligned outputs of contract §4, written while the linkage state is
/// saved on its own worker (before them, on this thread, when the run is
/// kept to one core).
func writeAligned(_ rows: ReceivedRows, spells: Spells, persons: LinkedPersons, ids: PersonIds, events: EventIds, owner: [Int32],
                  state: StateBox?, linkage: LinkageSettings, run: inout DedupeRun) throws(DedupeFailure) {
    let link = persons.link
    let context = OutputContext(loaded: rows.loaded, active: rows.active, rowReturn: rows.rowReturn, rowIndex: rows.rowIndex,
                                firstRow: rows.firstRow, recordKeys: spells.keys, owner: owner,
                                eventIds: events.ids, eventSlot: events.slotOf, cluster: link.cluster, personId: ids.personId,
                                personIds: IdColumn(ids.personId), linkage: linkage)
    let saving = state.map { box in
        let names = persons.members.names, firstRows = persons.members.firstRows
        let members = names.indices.map { i in (names[i], ids.personId[Int(link.cluster[Int(firstRows[i])])]) }
        let records = rows.n, count = link.clusterCount, created = ids.newPersons, aliases = ids.newAliases
        return WorkerResult(onWorker: run.options.jobs > 1) { () -> String? in
            let linked = linkedRows(rows)
            do {
                try box.state.save(members: members, newPersons: created, newAliases: aliases, records: records, persons: count, linked: linked)
            } catch {
                return "\(error)"
            }
            return nil
        }
    }
    do {
        try writeOutputs(context, result: link, memberOf: persons.members.memberOf, outDir: run.options.outDir, jobs: run.options.jobs,
                         plainCopies: run.options.plainCopies, summary: &run.summary)
    } catch {
        _ = saving?.value
        throw DedupeFailure(description: "writing the outputs failed: \(error)")
    }
    let saveFailure = saving?.value ?? nil
    run.lap(state == nil ? "write" : "write + state")
    if let failure = saveFailure {
        throw DedupeFailure(description: "saving the linkage state failed (outputs were written; the next run repeats this one): \(failure)")
    }
}

/// Tonight's person rows by file, each file's row numbers set as bits in
/// one array per return (no lookup by name per row).
private func linkedRows(_ rows: ReceivedRows) -> LinkedRows {
    var perReturn = [[UInt8]](repeating: [], count: rows.loaded.count)
    for g in 0..<rows.n { LinkedRows.set(row: Int(rows.row(g).sourceRow), in: &perReturn[Int(rows.rowReturn[g])]) }
    var linked = LinkedRows()
    for (k, l) in rows.loaded.enumerated() where !perReturn[k].isEmpty { linked.set(file: l.source.sourceFile, bits: perReturn[k]) }
    return linked
}
