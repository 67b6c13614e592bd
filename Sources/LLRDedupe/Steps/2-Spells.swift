import LLRCore

/// The spells found, and the work started on workers beside them.
struct Spells: Sendable {
    /// Partner + record key of each row.
    let keys: [UInt64]
    /// Each row's spell: the number of its winning row.
    let spellOf: [Int32]
    /// The winning rows, in order, and each one's event id (made on a worker).
    let winners: [Int]
    let winnerIds: WorkerResult<[UInt8]>
    /// The source persons, numbered (on a worker).
    let members: WorkerResult<MemberNumbers>
}

/// Contract §5 step 3, spells across quarters: the same partner and record
/// key in several quarters is one record; the latest quarter's row wins.
func joinSpellsAcrossQuarters(_ rows: ReceivedRows, run: inout DedupeRun) -> Spells {
    let n = rows.n, jobs = run.options.jobs
    let keys = concurrentMapInChunks(n, jobs: jobs) { g in recordKey(rows.ret(g), rows.row(g)) }
    let memberKeys = concurrentMapInChunks(n, jobs: jobs) { g in
        let l = rows.ret(g)
        return identifierHash(l.bytes(rows.row(g).ownId), seed: l.partnerSeed)
    }
    // Source persons are numbered, and their pseudonyms made, on a worker
    // while this thread finds the spells: each alone leaves the second core
    // idle, so the numbering starts first.
    let members = numberSourcePersons(rows, memberKeys: memberKeys, pseudonyms: run.pseudonyms, onWorker: jobs > 1)
    let spellOf = spellWinners(rows, keys: keys)
    // An event's id is keyed on its spell's winning row. Every winner's id is
    // made on a worker of its own while the linkage runs, mostly on one core
    // (the few winners a cross-agency match later folds into another event
    // are made and not used).
    let winners = (0..<n).filter { spellOf[$0] == Int32($0) }
    let pseudonyms = run.pseudonyms
    let winnerIds = WorkerResult(onWorker: jobs > 1) {
        var ids: [UInt8] = []
        ids.reserveCapacity(winners.count * Pseudonymiser.idLength)
        for g in winners {
            let l = rows.ret(g)
            l.appendId("event", of: rows.row(g).sourceKey, pseudonyms, to: &ids)
        }
        return ids
    }
    run.lap("spells")
    return Spells(keys: keys, spellOf: spellOf, winners: winners, winnerIds: winnerIds, members: members)
}

/// Each row's spell winner: the row of the latest quarter with its key
/// (the latest return on a tie).
private func spellWinners(_ rows: ReceivedRows, keys: [UInt64]) -> [Int32] {
    let n = rows.n
    // Sized for every row to be its own record, so slots never move.
    var spellWinner = HashIndex(capacity: n)
    var spellOf = [Int32](repeating: 0, count: n)
    let rowReturn = rows.rowReturn, returnQuarter = rows.returnQuarter
    for g in 0..<n {
        if g + 8 < n { spellWinner.prefetch(keys[g + 8]) }
        let (slot, inserted) = spellWinner.slot(keys[g], insertingRow: g)
        if !inserted {
            let w = spellWinner.row(atSlot: slot)
            if (returnQuarter[Int(rowReturn[g])], rowReturn[g]) > (returnQuarter[Int(rowReturn[w])], rowReturn[w]) { spellWinner.setRow(g, atSlot: slot) }
        }
    }
    for g in 0..<n {
        if g + 8 < n { spellWinner.prefetch(keys[g + 8]) }
        spellOf[g] = Int32(spellWinner.row(of: keys[g])!)
    }
    return spellOf
}

/// The state remembers source persons by a keyed pseudonym of partner +
/// own id: each distinct member once, in order of its first row.
private func numberSourcePersons(_ rows: ReceivedRows, memberKeys: [UInt64], pseudonyms: Pseudonymiser,
                                 onWorker: Bool) -> WorkerResult<MemberNumbers> {
    WorkerResult(onWorker: onWorker) { () -> MemberNumbers in
        let n = rows.n
        var firstRows: [Int32] = []
        var memberOf = [Int32](repeating: 0, count: n)
        // Grown as members appear: a person has several rows, so sizing it for
        // every row would hold hundreds of megabytes at ten million.
        var memberIndex = HashIndex(capacity: n / 4)
        for g in 0..<n {
            if g + 8 < n { memberIndex.prefetch(memberKeys[g + 8]) }
            let (m, isNew) = memberIndex.number(memberKeys[g])
            memberOf[g] = Int32(m)
            if isNew { firstRows.append(Int32(g)) }
        }
        memberIndex = HashIndex()
        var id: [UInt8] = []
        let names = firstRows.map { g32 in
            let g = Int(g32)
            id.removeAll(keepingCapacity: true)
            rows.ret(g).appendId("member", of: rows.row(g).ownId, pseudonyms, to: &id)
            return String(decoding: id, as: UTF8.self)
        }
        return MemberNumbers(memberOf: memberOf, firstRows: firstRows, names: names)
    }
}
