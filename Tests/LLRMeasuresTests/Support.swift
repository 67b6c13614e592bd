import Foundation
import LLRCore
import LLRMeasures
import LLRTestSupport
import LLRValidation

let catalogue = try! MeasureCatalogue.load(contract: contract)

/// One aligned event, as the dedupe writes it (only the columns the measures read).
struct TestEvent {
    var id: String
    var person: String
    var type: String
    var start: String
    var end = ""
    var la = "E06000016"
    var sources = "LCC"
}

/// events.csv from the test's events, in a fresh folder.
func eventsFile(_ events: [TestEvent]) -> String {
    var text = "llr_event_id,llr_person_id,event_type,event_start,event_end,la_code,sources\n"
    for e in events { text += "\(e.id),\(e.person),\(e.type),\(e.start),\(e.end),\(e.la),\(e.sources)\n" }
    let path = tempDir() + "/events.csv"
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

let q1 = FinancialQuarter("2024-25_Q1")!, q2 = FinancialQuarter("2024-25_Q2")!

/// The catalogue computed over `events` for Q1 and Q2 of 2024-25.
func measures(_ events: [TestEvent], catalogue c: MeasureCatalogue = catalogue) throws -> MeasureResult {
    let run = MeasureRun(catalogue: c, contract: contract, totalCode: "LLR")
    return try run.compute(eventsPath: eventsFile(events), quarters: [q1, q2], jobs: 2).0
}

extension MeasureResult {
    func figure(_ measure: String, _ q: FinancialQuarter, _ area: String = "LLR") -> MeasureFigure? {
        figures.first { $0.measure == measure && $0.quarter == q && $0.area == area }
    }
}
