import LLRCore
import LLRDedupe
import LLRValidation

/// Each partner's rows whose identifier is also on another child's record
/// (the linkage did not join them on it), as a report beside the file's
/// validation report in `outbox/<PARTNER>/<stem>.linkage.report.{json,html}`:
/// an id keyed for the wrong child is the partner's to put right. Another
/// agency's record is never named, only that one exists.
func writeLinkageFeedback(_ conflicts: [IdConflict], staging: Staging, registry: PartnerRegistry, catalog: FindingCatalog) throws(OutputError) {
    var byFile: [String: [IdConflict]] = [:]
    for c in conflicts { byFile[c.sourceFile, default: []].append(c) }
    for file in byFile.keys.sorted() {
        let rows = byFile[file]!
        let partner = rows[0].partner
        let findings = rows.map { c in
            Finding(code: .identifierConflict, severity: .warning, rowNumber: c.sourceRow, fieldName: c.field, message: conflictMessage(c))
        }
        let name = try? ReturnFileName.parse(file, registry: registry).get()
        let report = ValidationReport.laterFindings(file: file, name: name, partner: partner, findings: findings)
        let base = feedbackName(file)
        try makeDirectories(staging.path("outbox/" + partner))
        let json = try AtomicOutputFile(path: staging.path("outbox/\(partner)/\(base).linkage.report.json"))
        try json.write(JSONReport.render([report], asArray: false)); try json.commit()
        let html = try AtomicOutputFile(path: staging.path("outbox/\(partner)/\(base).linkage.report.html"))
        try html.write(HTMLReport.render([report], catalog: catalog, frame: .linkage)); try html.commit()
    }
}

extension HTMLReportFrame {
    static let linkage = HTMLReportFrame(
        heading: "LLR multi-agency return: identifiers on another child's record",
        footer: "Made by the nightly merge (llr-merge), which links each child's records across the partners' returns. "
            + "Check each row's identifier in your own system and correct it in your next return; another agency's record is never named.",
        judgesTheFile: false)
}

/// What the partner reads on the row.
func conflictMessage(_ c: IdConflict) -> String {
    let other = c.otherPartner == c.partner
        ? "row \(c.otherRow) of \(c.otherFile == c.sourceFile ? "this return" : c.otherFile)"
        : "a record another agency sent"
    return "this row's \(c.field) is also on \(other), whose names and date of birth are another child's, so the two were not linked on it. "
        + "Check that the \(c.field) is this child's; if it is not, correct it in your next return"
}
