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
/// family's `roles`; constant cells are byte runs made once, and rows go
/// straight into fixed buffers compressed on Dispatch workers, so the row
/// loop allocates nothing and counts no references.
final class EventNormaliser {
    let mappings: Mappings
    let partner: String
    let sourceFile: String
    let events: FastCSVGzipRows
    let identifiers: FastCSVGzipRows
    private let pipelines: Pipelines
    private let arena = ByteRunArena()
    private(set) var rowsWritten = 0
    /// Unmapped free-text values and how often they came, for the report.
    private(set) var unmapped: [String: Int] = [:]
    /// Accepted rows with each schema field filled (field completeness in
    /// the merge's quality table), by schema field.
    private(set) var filled: [Int] = []
    private(set) var fieldNames: [String] = []

    /// Schema index of each role's column, resolved once (-1 when the family lacks it).
    private struct Roles {
        var key = -1, personId = -1, eventType = -1, start = -1, end = -1, forename = -1, surname = -1, dob = -1, age = -1
        var sex = -1, ethnicity = -1, postcode = -1, la = -1, nhs = -1, upn = -1
    }

    /// Everything the row loop reads, resolved once the schema is known; a
    /// class, so each row borrows it instead of copying its tables.
    private final class Plan {
        var roles = Roles()
        var sourceFile = ByteRun.empty
        var partner = ByteRun.empty
        var family = ByteRun.empty
        var eventTypes = CodeTable([])
        var eventTypeRuns: [ByteRun] = []
        var sexTable: CodeTable?
        var sexRuns: [ByteRun] = []
        var ethnicityTable: CodeTable?
        var ethnicityRuns: [ByteRun] = []
        /// ONS category → its group, both as runs, by category position.
        var categories = CodeTable([])
        var categoryRuns: [ByteRun] = []
        var groupRuns: [ByteRun] = []
        var unknownSex = ByteRun.empty
        var notKnownCategory = -1
        var laForms = CodeTable([])
        var laFormTarget: [Int] = []
        var districts = CodeTable([])
        var districtTarget: [Int] = []
        var laCodes: [ByteRun] = []
        var laNames: [ByteRun] = []
        var outsideCode = ByteRun.empty
        var outsideName = ByteRun.empty
        var ageBands: [ByteRun] = []
        var attributeFields: [Int] = []
        var attributeLists: [CodeList?] = []
    }

    private var ready = false
    private var plan = Plan()
    private var sexFreeText: CodeList?
    private var ethnicityFreeText: CodeList?
    private var quarterCache: [Int: (ByteRun, ByteRun)] = [:]
    private var lastQuarterKey = -1
    private var lastQuarter = (ByteRun.empty, ByteRun.empty)
    private var buffers = [[UInt8]](repeating: [], count: 5)

    init(pipelines: Pipelines, partner: String, sourceFile: String, eventsPath: String, identifiersPath: String, level: Int32 = 1,
         background: Bool = true) throws {
        self.pipelines = pipelines
        mappings = pipelines.mappings
        self.partner = partner
        self.sourceFile = sourceFile
        // gzip at `level` (1 for files between stages, 0 for the merge's cache), on Dispatch workers unless kept to one core.
        events = try FastCSVGzipRows(path: eventsPath, header: AlignedSchema.events, level: level, background: background)
        identifiers = try FastCSVGzipRows(path: identifiersPath, header: AlignedSchema.identifiers, level: level, background: background)
        for i in buffers.indices { buffers[i].reserveCapacity(256) }
    }

    private func prepare(_ schema: FamilySchema) {
        ready = true
        let p = Plan()
        func at(_ r: String) -> Int { schema.roles[r].flatMap { schema.index(of: $0) } ?? -1 }
        p.roles = Roles(
            key: at("key"), personId: at("personId"), eventType: at("eventType"), start: at("start"), end: at("end"),
            forename: at("forename"), surname: at("surname"), dob: at("dob"), age: at("age"), sex: at("sex"),
            ethnicity: at("ethnicity"), postcode: at("postcode"), la: at("la"), nhs: at("nhs"), upn: at("upn"))
        var cell = CSVRowBuilder()
        cell.add(sourceFile)
        p.sourceFile = arena.run(cell.bytes)
        p.partner = arena.run(partner)
        p.family = arena.run(schema.name)
        let types = (mappings.eventTypes[schema.name] ?? [:]).sorted { $0.key < $1.key }
        p.eventTypes = CodeTable(types.map { ($0.key, $0.value) })
        p.eventTypeRuns = types.map { arena.run($0.value) }

        func codelist(_ roleName: String) -> String? {
            guard let f = schema.roles[roleName] else { return nil }
            if let list = schema.field(f)?.codelist { return list }
            for r in schema.rules { if case .freeText(let field, let list) = r.kind, field == f { return list } }
            return nil
        }
        func table(_ list: String, _ maps: [String: [String: String]?]) -> ([(String, String)], CodeList?) {
            if let t = maps[list] ?? nil { return (t.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, nil) }
            if let cl = pipelines.codelists[list], !cl.aliases.isEmpty { return ([], cl) }
            return ((pipelines.codelists[list]?.codes ?? []).map { ($0, $0) }, nil)
        }
        if let list = codelist("sex") {
            let (pairs, free) = table(list, mappings.sex)
            if let free { sexFreeText = free } else { p.sexTable = CodeTable(pairs); p.sexRuns = pairs.map { arena.run($0.1) } }
        }
        if let list = codelist("ethnicity") {
            let (pairs, free) = table(list, mappings.ethnicity)
            if let free { ethnicityFreeText = free } else { p.ethnicityTable = CodeTable(pairs); p.ethnicityRuns = pairs.map { arena.run($0.1) } }
        }
        let cats = mappings.ethnicCategories
        p.categories = CodeTable(cats.map { ($0, $0) })
        p.categoryRuns = cats.map { arena.run($0) }
        p.groupRuns = cats.map { arena.run(mappings.ethnicGroups[$0] ?? "Not known") }
        p.notKnownCategory = cats.firstIndex(of: "NOT_KNOWN") ?? 0
        p.unknownSex = arena.run("U")
        let las = mappings.laNames.keys.sorted()
        p.laCodes = las.map { arena.run($0) }
        p.laNames = las.map { arena.run(mappings.laNames[$0]!) }
        let forms = mappings.laForms.map { (String(decoding: $0.key, as: UTF8.self), $0.value) }.sorted { $0.0 < $1.0 }
        p.laForms = CodeTable(forms)
        p.laFormTarget = forms.map { las.firstIndex(of: $0.1)! }
        let districts = mappings.districts.sorted { $0.key < $1.key }
        p.districts = CodeTable(districts.map { ($0.key, $0.value) })
        p.districtTarget = districts.map { las.firstIndex(of: $0.value)! }
        p.outsideCode = arena.run(mappings.outsideCode)
        p.outsideName = arena.run(mappings.outsideName)
        p.ageBands = (0...130).map { arena.run(mappings.ageBand($0)) }
        p.attributeFields = AlignedSchema.attributeColumns.map { a in schema.attributes.contains(a) ? schema.index(of: a) ?? -1 : -1 }
        p.attributeLists = AlignedSchema.attributeColumns.map { a -> CodeList? in
            guard schema.attributes.contains(a) else { return nil }
            for r in schema.rules { if case .freeText(let field, let list) = r.kind, field == a { return pipelines.codelists[list] } }
            return nil
        }
        plan = p
    }

    private static var none: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: nil, count: 0) }

    func accept(_ row: AcceptedRow) throws(OutputError) {
        if !ready, let schema = row.schema {
            prepare(schema)
            fieldNames = schema.fields.map(\.name)
            filled = [Int](repeating: 0, count: fieldNames.count)
        }
        let state = row.fieldState
        filled.withUnsafeMutableBufferPointer { f in
            for i in f.indices where state.present[i] && state.trimmed[i].count > 0 { f[i] += 1 }
        }
        try write(row, plan)
    }

    private func write(_ row: AcceptedRow, _ p: Plan) throws(OutputError) {
        let roles = p.roles
        let fields = row.fieldState
        @inline(__always) func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> { fields.cell(i) }
        @inline(__always) func value(_ i: Int) -> Int64? { fields.value(i) }
        let start = value(roles.start)
        let startDay = start.map { Minutes.day($0) }
        let dobDay = value(roles.dob).map { Minutes.day($0) }

        // Age: from the date of birth, else the age the partner gave.
        var age: Int?
        if let dobDay, let startDay { age = CivilDate.age(born: CivilDate(dayNumber: dobDay), at: CivilDate(dayNumber: startDay)) }
        else if let a = value(roles.age) { age = Int(a) }

        // Postcode and district, in buffers reused from row to row.
        var postcode = buffers[0], district = buffers[1], scratch = buffers[2], name = buffers[3], folded = buffers[4]
        buffers[0] = []; buffers[1] = []; buffers[2] = []; buffers[3] = []; buffers[4] = []
        defer { buffers[0] = postcode; buffers[1] = district; buffers[2] = scratch; buffers[3] = name; buffers[4] = folded }
        postcode.removeAll(keepingCapacity: true)
        district.removeAll(keepingCapacity: true)
        let pc = cell(roles.postcode)
        if pc.count > 0 { TextNormalisation.postcode(pc, into: &postcode, district: &district) }

        // LA: the partner's own field when it maps, else the postcode district, else outside LLR.
        var laIndex: Int? = nil
        let la = cell(roles.la)
        if la.count > 0 {
            foldForMatching(la, into: &folded)
            laIndex = p.laForms.find(folded).map { p.laFormTarget[$0] }
        }
        if laIndex == nil, !district.isEmpty { laIndex = p.districts.find(district).map { p.districtTarget[$0] } }
        let laCode = laIndex.map { p.laCodes[$0] } ?? p.outsideCode
        let laName = laIndex.map { p.laNames[$0] } ?? p.outsideName

        // Sex and ethnicity, through the family's code set.
        var sex = p.unknownSex
        let sx = cell(roles.sex)
        if sx.count > 0 {
            if let t = p.sexTable, let i = t.find(sx) { sex = p.sexRuns[i] }
            else if let list = sexFreeText {
                if let code = list.code(forText: sx) { sex = code == "M" || code == "F" ? arenaRun(code) : p.unknownSex }
                else { unmapped["sex '" + displayString(sx) + "'", default: 0] += 1 }
            }
        }
        var category = p.notKnownCategory
        let eth = cell(roles.ethnicity)
        if eth.count > 0 {
            if let t = p.ethnicityTable, let i = t.find(eth) {
                category = p.categories.find(p.ethnicityRuns[i].buffer) ?? category
            } else if let list = ethnicityFreeText {
                if let code = list.code(forText: eth) { category = p.categories.find(Array(code.utf8)) ?? category }
                else { unmapped["ethnicity '" + displayString(eth) + "'", default: 0] += 1 }
            }
        }
        let quarter = startDay.map { quarterRuns(FinancialQuarter(containing: CivilDate(dayNumber: $0))) }
        let rowNumber = row.rowNumber
        let key = cell(roles.key)

        let e = events
        e.verbatim(p.sourceFile)
        e.int(rowNumber)
        e.verbatim(p.partner)
        e.verbatim(p.family)
        e.cell(key)
        if let i = p.eventTypes.find(cell(roles.eventType)) { e.verbatim(p.eventTypeRuns[i]) } else { e.empty() }
        if let start { TextNormalisation.isoDateTime(start, into: &scratch); scratch.withUnsafeBufferPointer { e.verbatim($0) } } else { e.empty() }
        if let end = value(roles.end) { TextNormalisation.isoDateTime(end, into: &scratch); scratch.withUnsafeBufferPointer { e.verbatim($0) } } else { e.empty() }
        if let quarter { e.verbatim(quarter.0); e.verbatim(quarter.1) } else { e.empty(); e.empty() }
        e.verbatim(laCode)
        e.cell(laName.buffer)
        district.withUnsafeBufferPointer { e.verbatim($0) }
        if let age { e.int(age); e.verbatim(p.ageBands[min(max(age, 0), p.ageBands.count - 1)]) } else { e.empty(); e.empty() }
        e.verbatim(sex)
        e.cell(p.groupRuns[category].buffer)
        e.verbatim(p.categoryRuns[category])
        for k in 0..<p.attributeFields.count {
            let f = p.attributeFields[k]
            let c = fields.cell(f)
            if let list = p.attributeLists[k], c.count > 0 {
                var code = list.code(forText: c) ?? "OTHER"
                code.withUTF8 { e.cell($0) }
            } else {
                e.cell(c)
            }
        }
        try e.endRow()

        let d = identifiers
        d.verbatim(p.sourceFile)
        d.int(rowNumber)
        d.verbatim(p.partner)
        d.cell(key)
        d.cell(cell(roles.personId))
        TextNormalisation.name(cell(roles.forename), into: &name); name.withUnsafeBufferPointer { d.cell($0) }
        TextNormalisation.name(cell(roles.surname), into: &name); name.withUnsafeBufferPointer { d.cell($0) }
        if let dobDay { TextNormalisation.isoDate(dobDay, into: &scratch); scratch.withUnsafeBufferPointer { d.verbatim($0) } } else { d.empty() }
        postcode.withUnsafeBufferPointer { d.cell($0) }
        TextNormalisation.digits(cell(roles.nhs), into: &name); name.withUnsafeBufferPointer { d.verbatim($0) }
        d.cell(cell(roles.upn))
        d.cell(cell(roles.forename))
        d.cell(cell(roles.surname))
        d.cell(cell(roles.dob))
        d.cell(cell(roles.postcode))
        try d.endRow()
        rowsWritten += 1
    }

    /// Runs for codes that free text maps to (few, made once each).
    private var freeTextRuns: [String: ByteRun] = [:]
    private func arenaRun(_ s: String) -> ByteRun {
        if let r = freeTextRuns[s] { return r }
        let r = arena.run(s)
        freeTextRuns[s] = r
        return r
    }

    /// `2024-25` and `Q1` for a quarter; rows mostly share one, so the last is kept.
    private func quarterRuns(_ q: FinancialQuarter) -> (ByteRun, ByteRun) {
        let k = q.startYear * 10 + q.quarter
        if k == lastQuarterKey { return lastQuarter }
        let c = quarterCache[k] ?? (arena.run(q.financialYear), arena.run("Q\(q.quarter)"))
        quarterCache[k] = c
        lastQuarterKey = k
        lastQuarter = c
        return c
    }

    func commit() throws(OutputError) {
        try events.commit()
        try identifiers.commit()
    }
}
