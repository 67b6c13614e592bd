import LLRCore
import LLRValidation

/// The aligned LLR event schema (data contract §4) and the restricted
/// identifiers that go beside it, never mixed in.
public enum AlignedSchema {
    public static let events = [
        "source_file", "source_row", "partner", "family", "source_key", "event_type", "event_start", "event_end",
        "financial_year", "quarter", "la_code", "la_name", "postcode_district", "age_at_event", "age_band", "sex",
        "ethnicity_group", "ethnicity_code", "cp_category", "referral_source", "looked_after",
    ]
    public static let identifiers = [
        "source_file", "source_row", "partner", "source_key", "person_source_id", "forename", "surname", "dob", "postcode",
        "nhs_number", "upn", "forename_raw", "surname_raw", "dob_raw", "postcode_raw",
    ]
    /// Event attributes carried through when a family has them.
    static let attributeColumns = ["cp_category", "referral_source", "looked_after"]
}

/// Writes each accepted row of one return as an aligned event and its
/// identifiers. Mappings come from `Pipelines/mappings.yaml` and the
/// family's `roles`; the row loop works on bytes in reused buffers.
final class EventNormaliser {
    let mappings: Mappings
    let partner: String
    let sourceFile: String
    let events: CSVGzipOutput
    let identifiers: CSVGzipOutput
    private(set) var rowsWritten = 0
    /// Unmapped free-text values and how often they came, for the report.
    private(set) var unmapped: [String: Int] = [:]

    private var ready = false
    private var family = ""
    /// Schema index of each role's column, resolved once (-1 when the family lacks it).
    private struct Roles {
        var key = -1, personId = -1, eventType = -1, start = -1, end = -1, forename = -1, surname = -1, dob = -1, age = -1
        var sex = -1, ethnicity = -1, postcode = -1, la = -1, nhs = -1, upn = -1
    }
    private var roles = Roles()
    private var attributeFields: [Int?] = []
    /// Free-text attributes (VCS referral source) mapped through their code list.
    private var attributeLists: [CodeList?] = []
    private var eventTypes = CodeTable([])
    private var sexTable: CodeTable?
    private var sexFreeText: CodeList?
    private var ethnicityTable: CodeTable?
    private var ethnicityFreeText: CodeList?
    /// Typed LA forms and postcode districts → index into `laOutputs` (code, name cells).
    private var laForms = CodeTable([])
    private var districtLAs = CodeTable([])
    private var laOutputs: [([UInt8], [UInt8])] = []
    private var laFormTarget: [Int] = []
    private var districtTarget: [Int] = []
    private var lastQuarterKey = -1
    private var lastQuarterCells: ([UInt8], [UInt8]) = ([], [])
    private var outsideCode: [UInt8] = []
    private var outsideName: [UInt8] = []
    private var ethnicGroups = CodeTable([])
    private var notKnownGroup = Array("Not known".utf8)
    private var ageBandCells: [[UInt8]] = []
    private var quarterCache: [Int: ([UInt8], [UInt8])] = [:]
    private var sourceFileCell: [UInt8] = []
    private var partnerCell: [UInt8] = []
    private var familyCell: [UInt8] = []
    private var buffers = [[UInt8]](repeating: [], count: 6)

    init(pipelines: Pipelines, partner: String, sourceFile: String, eventsPath: String, identifiersPath: String) throws {
        mappings = pipelines.mappings
        self.partner = partner
        self.sourceFile = sourceFile
        // Level 1, compressed on Dispatch workers: the outputs are intermediate
        // files between stages, and this keeps the row loop's core for the rows.
        events = try CSVGzipOutput(path: eventsPath, header: AlignedSchema.events, level: 1, background: true)
        identifiers = try CSVGzipOutput(path: identifiersPath, header: AlignedSchema.identifiers, level: 1, background: true)
        self.pipelines = pipelines
    }

    private let pipelines: Pipelines

    /// Resolves roles and code tables once, from the schema the validator settled on.
    private func prepare(_ schema: FamilySchema) {
        ready = true
        family = schema.name
        func at(_ r: String) -> Int { schema.roles[r].flatMap { schema.index(of: $0) } ?? -1 }
        roles = Roles(
            key: at("key"), personId: at("personId"), eventType: at("eventType"), start: at("start"), end: at("end"),
            forename: at("forename"), surname: at("surname"), dob: at("dob"), age: at("age"), sex: at("sex"),
            ethnicity: at("ethnicity"), postcode: at("postcode"), la: at("la"), nhs: at("nhs"), upn: at("upn"))
        attributeFields = AlignedSchema.attributeColumns.map { a in schema.attributes.contains(a) ? schema.index(of: a) : nil }
        attributeLists = AlignedSchema.attributeColumns.map { a -> CodeList? in
            guard schema.attributes.contains(a) else { return nil }
            for r in schema.rules { if case .freeText(let field, let list) = r.kind, field == a { return pipelines.codelists[list] } }
            return nil
        }
        eventTypes = CodeTable((mappings.eventTypes[family] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        func codelist(_ roleName: String) -> String? {
            guard let f = schema.roles[roleName] else { return nil }
            if let list = schema.field(f)?.codelist { return list }
            for r in schema.rules { if case .freeText(let field, let list) = r.kind, field == f { return list } }
            return nil
        }
        if let list = codelist("sex") {
            if let table = mappings.sex[list] ?? nil { sexTable = CodeTable(table.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
            else if pipelines.codelists[list]?.aliases.isEmpty == false { sexFreeText = pipelines.codelists[list] }
            else { sexTable = CodeTable((pipelines.codelists[list]?.codes ?? []).map { ($0, $0) }) }
        }
        if let list = codelist("ethnicity") {
            if let table = mappings.ethnicity[list] ?? nil { ethnicityTable = CodeTable(table.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
            else if pipelines.codelists[list]?.aliases.isEmpty == false { ethnicityFreeText = pipelines.codelists[list] }
            else { ethnicityTable = CodeTable((pipelines.codelists[list]?.codes ?? []).map { ($0, $0) }) }
        }
        let las = mappings.laNames.keys.sorted()
        laOutputs = las.map { (Array($0.utf8), Array(mappings.laNames[$0]!.utf8)) }
        let formPairs = mappings.laForms.map { (String(decoding: $0.key, as: UTF8.self), $0.value) }.sorted { $0.0 < $1.0 }
        laForms = CodeTable(formPairs)
        laFormTarget = formPairs.map { las.firstIndex(of: $0.1)! }
        let districtPairs = mappings.districts.sorted { $0.key < $1.key }
        districtLAs = CodeTable(districtPairs.map { ($0.key, $0.value) })
        districtTarget = districtPairs.map { las.firstIndex(of: $0.value)! }
        outsideCode = Array(mappings.outsideCode.utf8)
        outsideName = Array(mappings.outsideName.utf8)
        ethnicGroups = CodeTable(mappings.ethnicGroups.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        ageBandCells = (0...130).map { Array(mappings.ageBand($0).utf8) }
        var cell = CSVRowBuilder()
        cell.add(sourceFile)
        sourceFileCell = cell.bytes
        partnerCell = Array(partner.utf8)
        familyCell = Array(family.utf8)
    }

    private static let unknownSex: [UInt8] = [0x55]
    private static let notKnown = Array("NOT_KNOWN".utf8)
    private static var none: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: nil, count: 0) }

    func accept(_ row: AcceptedRow) throws(OutputError) {
        if !ready, let schema = row.schema { prepare(schema) }
        let roles = self.roles
        @inline(__always) func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> { i >= 0 ? row.cell(i) ?? EventNormaliser.none : EventNormaliser.none }
        @inline(__always) func value(_ i: Int) -> Int64? { i >= 0 ? row.value(i) : nil }
        let start = value(roles.start)
        let startDay = start.map { Minutes.day($0) }
        let dobDay = value(roles.dob).map { Minutes.day($0) }

        // Age: from the date of birth, else the age the partner gave.
        var age: Int?
        if let dobDay, let startDay { age = CivilDate.age(born: CivilDate(dayNumber: dobDay), at: CivilDate(dayNumber: startDay)) }
        else if let a = value(roles.age) { age = Int(a) }

        // Postcode and its district (buffers reused from row to row).
        var postcode = buffers[0], district = buffers[1], scratch = buffers[2], name = buffers[3], folded = buffers[4]
        defer { buffers[0] = postcode; buffers[1] = district; buffers[2] = scratch; buffers[3] = name; buffers[4] = folded }
        postcode.removeAll(keepingCapacity: true)
        district.removeAll(keepingCapacity: true)
        let pc = cell(roles.postcode)
        if pc.count > 0 { TextNormalisation.postcode(pc, into: &postcode, district: &district) }

        // LA: the partner's own field when it maps, else the postcode district, else outside LLR.
        var laIndex: Int? = nil
        let la = cell(roles.la)
        if la.count > 0 {
            TextNormalisation.fold(la, into: &folded)
            laIndex = laForms.find(folded).map { laFormTarget[$0] }
        }
        if laIndex == nil, !district.isEmpty { laIndex = districtLAs.find(district).map { districtTarget[$0] } }
        let (laCode, laName) = laIndex.map { laOutputs[$0] } ?? (outsideCode, outsideName)

        // Sex and ethnicity, through the family's code set.
        var sex = EventNormaliser.unknownSex
        let sx = cell(roles.sex)
        if sx.count > 0 {
            if let t = sexTable { sex = t.lookup(sx) ?? sex } else if let list = sexFreeText, let code = list.code(forText: sx) { sex = Array(code.utf8) }
        }
        var ethnicity = EventNormaliser.notKnown
        let eth = cell(roles.ethnicity)
        if eth.count > 0 {
            if let t = ethnicityTable { ethnicity = t.lookup(eth) ?? ethnicity } else if let list = ethnicityFreeText {
                if let code = list.code(forText: eth) { ethnicity = Array(code.utf8) } else { unmapped["ethnicity '" + displayString(eth) + "'", default: 0] += 1 }
            }
        }
        let group = ethnicity.withUnsafeBufferPointer { ethnicGroups.lookup($0) } ?? notKnownGroup
        let quarter = startDay.map { quarterCells(FinancialQuarter(containing: CivilDate(dayNumber: $0))) }
        let rowNumber = row.rowNumber
        let key = cell(roles.key)
        try events.writeRow { r in
            r.addVerbatim(sourceFileCell)
            r.add(rowNumber)
            r.addVerbatim(partnerCell)
            r.addVerbatim(familyCell)
            r.add(key)
            r.addVerbatim(eventTypes.lookup(cell(roles.eventType)) ?? [])
            if let start { TextNormalisation.isoDateTime(start, into: &scratch); r.addVerbatim(scratch) } else { r.add(EventNormaliser.none) }
            if let end = value(roles.end) { TextNormalisation.isoDateTime(end, into: &scratch); r.addVerbatim(scratch) } else { r.add(EventNormaliser.none) }
            if let quarter { r.addVerbatim(quarter.0); r.addVerbatim(quarter.1) } else { r.add(EventNormaliser.none); r.add(EventNormaliser.none) }
            r.addVerbatim(laCode)
            r.add(laName)
            r.addVerbatim(district)
            if let age { r.add(age); r.addVerbatim(ageBandCells[min(max(age, 0), ageBandCells.count - 1)]) } else { r.add(EventNormaliser.none); r.add(EventNormaliser.none) }
            r.addVerbatim(sex)
            r.add(group)
            r.addVerbatim(ethnicity)
            for (k, f) in attributeFields.enumerated() {
                let c = f.flatMap { row.cell($0) } ?? EventNormaliser.none
                if let list = attributeLists[k], c.count > 0 { r.add(list.code(forText: c) ?? "OTHER") } else { r.add(c) }
            }
        }
        try identifiers.writeRow { r in
            r.addVerbatim(sourceFileCell)
            r.add(rowNumber)
            r.addVerbatim(partnerCell)
            r.add(key)
            r.add(cell(roles.personId))
            TextNormalisation.name(cell(roles.forename), into: &name); r.add(name)
            TextNormalisation.name(cell(roles.surname), into: &name); r.add(name)
            if let dobDay { TextNormalisation.isoDate(dobDay, into: &scratch); r.addVerbatim(scratch) } else { r.add(EventNormaliser.none) }
            r.addVerbatim(postcode)
            TextNormalisation.digits(cell(roles.nhs), into: &name); r.addVerbatim(name)
            r.add(cell(roles.upn))
            r.add(cell(roles.forename))
            r.add(cell(roles.surname))
            r.add(cell(roles.dob))
            r.add(cell(roles.postcode))
        }
        rowsWritten += 1
    }

    /// `2024-25` and `Q1` for a quarter; rows mostly share one, so the last is kept.
    private func quarterCells(_ q: FinancialQuarter) -> ([UInt8], [UInt8]) {
        let k = q.startYear * 10 + q.quarter
        if k == lastQuarterKey { return lastQuarterCells }
        let c = quarterCache[k] ?? (Array(q.financialYear.utf8), Array("Q\(q.quarter)".utf8))
        quarterCache[k] = c
        lastQuarterKey = k
        lastQuarterCells = c
        return c
    }

    func commit() throws(OutputError) {
        try events.commit()
        try identifiers.commit()
    }
}
