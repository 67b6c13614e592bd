import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRValidation

@Suite("Header, row and cell checks")
struct ShapeTests {
    @Test func headerProblemsAreEachLocated() {
        // dob renamed DOB, sex missing, an unknown column, a blank label and a repeated one.
        let header = "incident_ref,niche_person_id,record_type,reported_at,ended_at,forename,surname,DOB,ethnicity,postcode,home_la,looked_after,placing_la,notes,,forename"
        let row = "LP-1,NP-1,CSE_REFERRAL,10/04/2024 10:00,,Amy,Jones,01/01/2010,W1,LE1 6ZG,Leicester,N,,x,,Amy"
        let r = validate("LP_police_2024-25_Q1.csv", file(header, [row]))
        let header_ = r.findings.filter { $0.rowNumber == 1 }
        #expect(header_.map(\.code) == ["blank-label", "duplicate-label", "missing-label", "extra-label", "missing-label"])
        let renamed = header_[2]
        #expect(renamed.fieldName == "dob" && renamed.fieldNumber == 8 && renamed.cell == "DOB")
        #expect(header_[3].fieldNumber == 14 && header_[3].cell == "notes")
        #expect(header_[4].fieldName == "sex" && header_[4].message.contains("required column"))
        #expect(!r.valid)
        // The renamed column's cells are still checked.
        let bad = validate("LP_police_2024-25_Q1.csv", file(header, [row.replacingOccurrences(of: "01/01/2010", with: "31/02/2010")]))
        #expect(bad.findings.contains { $0.code == "type-error" && $0.fieldName == "dob" && $0.rowNumber == 2 })
    }

    @Test func missingOptionalColumnIsAWarning() {
        let header = policeHeader.replacingOccurrences(of: ",placing_la", with: "")
        let row = String(policeRow.dropLast())
        let r = validate("LP_police_2024-25_Q1.csv", file(header, [row]))
        #expect(located(r) == [Located("missing-label", 1, .warning)])
        #expect(r.valid)
    }

    @Test func columnsMayComeInAnyOrder() {
        let names = healthHeader.split(separator: ",").map(String.init)
        let cells = healthRow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let order = Array(names.indices.reversed())
        let text = file(order.map { names[$0] }.joined(separator: ","), [order.map { cells[$0] }.joined(separator: ",")])
        #expect(located(validate("UHL_health_2024-25_Q1.csv", text)) == [])
    }

    @Test func rowShapeProblems() {
        let rows = [
            health(),                                              // 2 fine
            "",                                                    // 3 blank line
            ",,,,,,,,,,,",                                         // 4 all cells empty
            health(["event_id": "E-2"]) + ",extra",                // 5 extra cell
            "E-3,0830166130,RWE-3",                                // 6 missing cells
            health(),                                              // 7 exact copy of row 2
            health(["local_patient_id": "RWE-9"]),                 // 8 same event_id as row 2
        ]
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, rows))
        #expect(located(r) == [
            Located("blank-row", 3, .warning), Located("blank-row", 4, .warning), Located("extra-cell", 5),
            Located("missing-cell", 6), Located("duplicate-row", 7, .warning), Located("primary-key", 8),
        ])
        #expect(r.stats.rows == 5)
        #expect(r.stats.rowsRejected == 3)
        let pk = r.findings.last!
        #expect(pk.message.contains("row 2") && pk.fieldName == "event_id" && pk.keys.first! == ("event_id", "E-1"))
    }

    /// A row rejected for its shape is rejected, even when it copies an
    /// earlier row: it had been both rejected and a copy "counted once", and
    /// the merge's lineage listed it twice (the night failed on llr.sqlite's key).
    @Test func aRejectedRowIsNotAlsoACopy() {
        let rows = [
            health(),                                              // 2 fine
            "E-3,0830166130,RWE-3",                                // 3 missing cells
            "E-3,0830166130,RWE-3",                                // 4 its copy: rejected too
            health(),                                              // 5 a copy of a good row
        ]
        var copies: [(Int, Int)] = []
        let path = returnFile("UHL_health_2024-25_Q1.csv", Array(file(healthHeader, rows).utf8))
        let r = validateReturn(path: path, pipelines: contract, options: options(), duplicateRows: { copies.append(($0, $1)) })
        #expect(located(r).filter { $0.code != "unique" } == [Located("missing-cell", 3), Located("missing-cell", 4), Located("duplicate-row", 5, .warning)])
        #expect(r.stats.rowsRejected == 2)
        #expect(copies.map(\.0) == [5] && copies.map(\.1) == [2])
    }

    @Test func quotedNewlinesShiftLinesNotRows() {
        let rows = [council(["outcome": "\"first line\nsecond line\""]), council(["event_ref": "EV-2", "cp_category": "XXX"])]
        let r = validate("LCC_council_2024-25_Q1.csv", file(councilHeader, rows))
        let f = try! #require(r.findings.first)
        #expect(f.rowNumber == 3 && f.line == 4)
        #expect(f.fieldNumber == 15 && f.cell == "XXX")
    }

    @Test func findingsCarryTheRowsOwnKeys() {
        let r = validate("LCC_council_2024-25_Q1.csv", file(councilHeader, [council(["dob": "31/02/2010"])]))
        let f = try! #require(r.findings.first)
        #expect(f.keys.map(\.0) == ["event_ref", "child_id"])
        #expect(f.keys.map(\.1) == ["EV-1", "C-1"])
    }

    @Test func maxFindingsTruncatesButTheSummaryCountsAll() {
        let rows = (0..<50).map { health(["event_id": "E-\($0)", "gender": "X"]) }
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, rows), options(maxFindings: 10))
        #expect(r.truncated)
        #expect(r.findings.count == 10)
        #expect(r.summary == [SummaryEntry(code: "constraint-error", severity: .error, count: 50)])
        #expect(r.stats.errors == 50 && r.stats.rowsRejected == 50)
    }

    @Test func rejectsHoldOriginalCellsWithRowNumberAndCodes() throws {
        let dir = tempDir()
        let rows = [health(), health(["event_id": "E-2", "gender": "M", "nhs_number": "0830166131"]), health(["event_id": "=HYPERLINK(1)", "dob": "2010-02-30"])]
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, rows), options(rejects: dir + "/rej.csv.gz"))
        #expect(r.stats.rowsRejected == 2)
        let text = try gunzip(dir + "/rej.csv.gz")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "rowNumber,codes," + healthHeader)
        #expect(lines[1].hasPrefix("3,constraint-error;nhs-number-checksum,E-2,0830166131,"))
        #expect(lines[2].hasPrefix("4,type-error,'=HYPERLINK(1),"))
        #expect(lines.count == 3)
    }

    /// The report names the rejects file only when it was written: it had
    /// said "rejected rows written to" a folder that does not exist.
    @Test func anUnwritableRejectsFileIsAFindingAndNotNamedAsWritten() {
        let rows = [health(), health(["event_id": "E-2", "gender": "M"])]
        let missing = tempDir() + "/no such folder/rej.csv.gz"
        let r = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, rows), options(rejects: missing))
        #expect(r.stats.rowsRejected == 1 && r.rejectsPath == nil)
        #expect(r.findings.contains { $0.code == "source-error" && $0.message.contains("rejects file could not be written") })
        let text = TextReport.render([r], catalog: contract.catalog)
        #expect(!text.contains("written to"))
        let written = tempDir() + "/rej.csv.gz"
        let ok = validate("UHL_health_2024-25_Q1.csv", file(healthHeader, rows), options(rejects: written))
        #expect(ok.rejectsPath == written && TextReport.render([ok], catalog: contract.catalog).contains("rejected rows written to \(written)"))
    }

    @Test func wrongFileNameIsAFindingAndOverridesDowngradeIt() {
        let r = validate("export.csv", file(healthHeader, [health()]))
        #expect(located(r) == [Located("filename-error", nil)])
        #expect(r.family == "health")  // guessed from the header
        var o = options()
        o.partner = "University Hospitals Leicester"
        o.period = FinancialQuarter("2024-25_Q1")
        let ok = validate("export.csv", file(healthHeader, [health()]), o)
        #expect(located(ok) == [Located("filename-error", nil, .warning)])
        #expect(ok.findings[0].message.contains("UHL_health_2024-25_Q1.csv.gz"))
        #expect(ok.valid && ok.partner == "UHL")
    }

    @Test func resubmissionVersionComesFromTheName() {
        let r = validate("UHL_health_2024-25_Q1_v3.csv.gz", file(healthHeader, [health()]))
        #expect(r.version == 3 && r.valid && r.period == FinancialQuarter("2024-25_Q1"))
    }
}

