import LLRCore

/// The columns llr-synth knows how to fill, per family, in its own order.
/// The file's column order comes from `Pipelines/families/`; a schema that
/// adds or renames a column stops llr-synth with a message saying so.
enum SynthColumns {
    static let police = ["incident_ref", "niche_person_id", "record_type", "reported_at", "ended_at", "forename", "surname", "dob", "sex", "ethnicity", "postcode", "home_la", "looked_after", "placing_la"]
    static let health = ["event_id", "nhs_number", "local_patient_id", "forename", "surname", "dob", "gender", "ethnic_category", "postcode", "gp_practice", "event_type", "event_date"]
    static let council = ["event_ref", "child_id", "upn", "nhs_number", "forename", "surname", "dob", "sex", "ethnicity", "postcode", "event_type", "start_date", "end_date", "referral_source", "cp_category", "outcome"]
    static let vcs = ["org_code", "client_ref", "forename", "surname", "dob", "age", "sex", "ethnicity", "postcode", "service", "referral_date", "referral_source", "closed_date"]

    static func of(_ family: String) -> [String]? {
        switch family {
        case "police": return police
        case "health": return health
        case "council": return council
        case "vcs": return vcs
        default: return nil
        }
    }
}

public struct SynthError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// One return file being written, with its truth rows. A resubmission
/// writes its `_v2` twin at the same time.
final class ReturnWriter {
    let fileName: String
    let family: String
    private let output: CSVOutput
    /// Schema position → index in llr-synth's own column order.
    private let order: [Int]
    private(set) var rowNumber = 1
    /// The `_v2` written alongside, when this quarter's return is resubmitted.
    var resubmission: ReturnWriter?
    private(set) var rows = 0
    /// The family's date layouts, by `DateField`.
    let dateFormats: [DateFormat]
    enum DateField: Int, CaseIterable { case reportedAt, endedAt, dob, eventDate, startDate, endDate }
    static let dateFieldNames = ["reported_at", "ended_at", "dob", "event_date", "start_date", "end_date"]
    /// `LL-`, `MO-`…: how this council's case system writes child ids; and this partner's reference prefix.
    let childIDPrefix: String
    let refPrefix: String
    /// The file name as a truth-file cell (conventional names need no quoting).
    let fileNameCell: [UInt8]

    init(directory: String, name: ReturnFileName, schema: FamilySchema) throws {
        guard let columns = SynthColumns.of(schema.name) else { throw SynthError("llr-synth cannot write family \(schema.name)") }
        let names = schema.fields.map(\.name)
        guard Set(names) == Set(columns) else {
            throw SynthError("Pipelines/families/\(schema.name).yaml has columns \(names.joined(separator: ", ")); llr-synth writes \(columns.joined(separator: ", ")): update SynthColumns")
        }
        fileName = name.conventional
        family = schema.name
        order = names.map { columns.firstIndex(of: $0)! }
        dateFormats = ReturnWriter.dateFieldNames.map { schema.field($0)?.format ?? DateFormat.iso }
        childIDPrefix = (SynthText.caseSystemPrefix[name.partner] ?? name.partner) + "-"
        refPrefix = name.partner + "-"
        var cell = CSVRowBuilder(escapeFormulas: false)
        cell.add(fileName)
        fileNameCell = cell.bytes
        // Partner files are plain CSV: no formula escaping, as their systems write them.
        output = try CSVOutput(path: directory + "/" + fileName, header: names, escapeFormulas: false, level: 1, background: true)
    }

    /// Writes one row in the file's column order, clean or spoiled, and
    /// returns its rowNumber.
    func write(_ cells: RowCells, spoiled: Bool) throws -> Int {
        try output.writeRow { r in
            for i in order { cells.withCell(i, spoiled: spoiled) { r.add($0) } }
            if spoiled && cells.extraCell { r.add("x") }
        }
        rowNumber += 1
        rows += 1
        return rowNumber
    }

    func commit() throws { try output.commit() }
}

/// Buffered plain-text output renamed into place on commit, written by a
/// background worker.
final class TextOutput {
    private let file: AtomicOutputFile
    private let background: BackgroundWriter
    private var buffer = CSVRowBuilder(escapeFormulas: false)

    init(path: String, header: [String]) throws {
        let file = try AtomicOutputFile(path: path)
        self.file = file
        background = BackgroundWriter(label: "text " + path, outputs: [file])
        for h in header { buffer.add(h) }
        buffer.endRow()
    }

    func row(_ fill: (inout CSVRowBuilder) -> Void) throws {
        fill(&buffer)
        buffer.endRow()
        if buffer.bytes.count > 64 * 1024 { try flush() }
    }

    private func flush() throws {
        try background.write(buffer.bytes)
        buffer.removeAll()
    }

    func commit() throws {
        try flush()
        try background.commit()
    }
}
