import LLRCore

/// Each event's `llr_event_id`, by owner slot, and each row's slot.
struct EventIds: Sendable {
    let ids: IdColumn
    let slotOf: [Int32]
}

/// The ids of contract §4 events: each owning row's (after the cross-agency
/// matches), made earlier as its spell winner's.
func giveEventIds(_ rows: ReceivedRows, spells: Spells, owner: [Int32], run: inout DedupeRun) -> EventIds {
    let n = rows.n
    let owners = (0..<n).filter { owner[$0] == Int32($0) }
    var eventIds = IdColumn()
    var slotOfWinner = [Int32](repeating: -1, count: n)
    for (i, g) in spells.winners.enumerated() { slotOfWinner[g] = Int32(i) }
    let width = Pseudonymiser.idLength
    var ids = [UInt8](repeating: 0, count: owners.count * width)
    spells.winnerIds.value.withUnsafeBufferPointer { all in
        ids.withUnsafeMutableBufferPointer { out in
            for (i, g) in owners.enumerated() {
                let w = Int(slotOfWinner[g])
                precondition(w >= 0, "an event's owner is always a spell winner")
                (out.baseAddress! + i * width).update(from: all.baseAddress! + w * width, count: width)
            }
        }
    }
    eventIds.append(fixedWidth: width, ids)
    var slotOfOwner = [Int32](repeating: -1, count: n)
    for (i, g) in owners.enumerated() { slotOfOwner[g] = Int32(i) }
    let eventSlot = (0..<n).map { slotOfOwner[Int(owner[$0])] }
    run.summary.events = owners.count
    run.lap("ids")
    return EventIds(ids: eventIds, slotOf: eventSlot)
}
