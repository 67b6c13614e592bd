import Foundation
import LLRTestSupport
@testable import LLRCore
@testable import LLRValidation




func gzipBytes(_ bytes: [UInt8]) -> [UInt8] { gzipCompress(bytes) }

/// Writes `bytes` as `name` in a fresh folder (gzipped when the name ends .gz).
func returnFile(_ name: String, _ bytes: [UInt8]) -> String {
    let path = tempDir() + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(name.hasSuffix(".gz") ? gzipBytes(bytes) : bytes))
    return path
}

func options(asOf: String = "2024-12-01", rejects: String? = nil, maxFindings: Int = 1000) -> ValidationOptions {
    var o = ValidationOptions()
    o.asOf = CivilDate(iso: asOf)
    o.rejectsPath = rejects
    o.maxFindings = maxFindings
    return o
}

func validate(_ name: String, _ text: String, _ opts: ValidationOptions = options()) -> ValidationReport {
    validateReturn(path: returnFile(name, Array(text.utf8)), pipelines: contract, options: opts)
}

/// (code, rowNumber) pairs, the shape most rule tests assert on.
func located(_ r: ValidationReport) -> [Located] {
    r.findings.map { Located($0.code.rawValue, $0.rowNumber, $0.severity) }
}

struct Located: Equatable, CustomStringConvertible {
    var code: String
    var row: Int?
    var severity: Severity
    init(_ code: String, _ row: Int?, _ severity: Severity = .error) { self.code = code; self.row = row; self.severity = severity }
    var description: String { "\(code)@\(row.map(String.init) ?? "-")/\(severity.rawValue)" }
}

// Headers and one valid row per family, for building fixtures.
let policeHeader = "incident_ref,niche_person_id,record_type,reported_at,ended_at,forename,surname,dob,sex,ethnicity,postcode,home_la,looked_after,placing_la"
let policeRow = "LP-1,NP-1,CSE_REFERRAL,10/04/2024 10:00,,Amy,Jones,01/01/2010,F,W1,LE1 6ZG,Leicester,N,"
let healthHeader = "event_id,nhs_number,local_patient_id,forename,surname,dob,gender,ethnic_category,postcode,gp_practice,event_type,event_date"
let healthRow = "E-1,0830166130,RWE-1,Amy,Jones,2010-01-01,2,A,LE1 6ZG,C82001,CAMHS_REFERRAL,2024-04-10"
let councilHeader = "event_ref,child_id,upn,nhs_number,forename,surname,dob,sex,ethnicity,postcode,event_type,start_date,end_date,referral_source,cp_category,outcome"
let councilRow = "EV-1,C-1,Q856186091390,,Amy,Jones,01/01/2010,F,WBRI,LE1 6ZG,REFERRAL,10/04/2024,,5A,,"
let vcsHeader = "org_code,client_ref,forename,surname,dob,age,sex,ethnicity,postcode,service,referral_date,referral_source,closed_date"
let vcsRow = "NSPCC,N-1,Amy,Jones,1/1/2010,,girl,White British,LE1,DA_SUPPORT,10/04/2024,school,"

/// Replaces the cells named in `changes` in a row of `header`.
func row(_ base: String, header: String, _ changes: [String: String]) -> String {
    let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    var cells = base.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    for (k, v) in changes { cells[names.firstIndex(of: k)!] = v }
    return cells.joined(separator: ",")
}

func police(_ changes: [String: String] = [:]) -> String { row(policeRow, header: policeHeader, changes) }
func health(_ changes: [String: String] = [:]) -> String { row(healthRow, header: healthHeader, changes) }
func council(_ changes: [String: String] = [:]) -> String { row(councilRow, header: councilHeader, changes) }
func vcs(_ changes: [String: String] = [:]) -> String { row(vcsRow, header: vcsHeader, changes) }

func file(_ header: String, _ rows: [String]) -> String { ([header] + rows).joined(separator: "\n") + "\n" }
