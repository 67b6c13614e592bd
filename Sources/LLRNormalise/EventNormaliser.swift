import LLRCore
import LLRValidation

/// The aligned LLR event schema (data contract §4) and the restricted
/// identifiers that go beside it, never mixed in.
public enum AlignedSchema {
    public static let eventCore = [
        "source_file", "source_row", "partner", "family", "source_key", "event_type", "event_start", "event_end",
        "financial_year", "quarter", "la_code", "la_name", "postcode_district", "age_at_event", "age_band", "sex",
        "ethnicity_group", "ethnicity_code",
    ]
    /// The normalised events' columns: the core, then the event attributes of mappings.yaml.
    public static func events(_ mappings: Mappings) -> [String] { eventCore + mappings.eventAttributes }
    public static let identifiers = [
        "source_file", "source_row", "partner", "source_key", "person_source_id", "forename", "surname", "dob", "postcode",
        "nhs_number", "upn", "forename_raw", "surname_raw", "dob_raw", "postcode_raw",
    ]
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
    /// Schema field names, for `filled` (field completeness in the merge's quality table).
    private(set) var fieldNames: [String] = []

    /// Schema index of each role's column, resolved once (-1 when the family lacks it).
    private struct Roles {
        var key = -1, personId = -1, eventType = -1, start = -1, end = -1, forename = -1, surname = -1, dob = -1, age = -1
        var sex = -1, ethnicity = -1, postcode = -1, la = -1, nhs = -1, upn = -1
    }

    /// Everything the row loop reads, resolved once the schema is known:
    /// constants only, plain values over memory the arena owns, so a row
    /// reads them with no reference counting or exclusivity checks.
    private final class Plan {
        let roles: Roles
        let sourceFile, partner, family: ByteRun
        let eventTypes: CodeTable
        let eventTypeRuns: UnsafeBufferPointer<ByteRun>
        /// Sex codes of the family's code set and the M/F/U each gives.
        let sexTable: CodeTable
        let sexRuns: UnsafeBufferPointer<ByteRun>
        let sexFreeText: CodeList?
        /// Ethnicity codes of the family's code set and the ONS category of each.
        let ethnicityTable: CodeTable
        let ethnicityCategory: UnsafeBufferPointer<Int>
        let ethnicityFreeText: CodeList?
        /// ONS category → its group, both as runs, by category position.
        let categories: CodeTable
        let categoryRuns, groupRuns: UnsafeBufferPointer<ByteRun>
        let unknownSex: ByteRun
        let notKnownCategory: Int
        let laForms: CodeTable
        let laFormTarget: UnsafeBufferPointer<Int>
        let districts: CodeTable
        let districtTarget: UnsafeBufferPointer<Int>
        let laCodes, laNames: UnsafeBufferPointer<ByteRun>
        let outsideCode, outsideName: ByteRun
        let notKnownCode, notKnownName: ByteRun
        let ageBands: UnsafeBufferPointer<ByteRun>
        let attributeFields: [Int]
        let attributeLists: [CodeList?]

        init(_ schema: FamilySchema, pipelines: Pipelines, partner: String, sourceFile: String, arena: ByteRunArena) {
            let mappings = pipelines.mappings
            func at(_ r: String) -> Int { schema.roles[r].flatMap { schema.index(of: $0) } ?? -1 }
            roles = Roles(
                key: at("key"), personId: at("personId"), eventType: at("eventType"), start: at("start"), end: at("end"),
                forename: at("forename"), surname: at("surname"), dob: at("dob"), age: at("age"), sex: at("sex"),
                ethnicity: at("ethnicity"), postcode: at("postcode"), la: at("la"), nhs: at("nhs"), upn: at("upn"))
            var cell = CSVRowBuilder()
            cell.add(sourceFile)
            self.sourceFile = arena.run(cell.bytes)
            self.partner = arena.run(partner)
            family = arena.run(schema.name)
            func table(_ keys: [String]) -> CodeTable { CodeTable(keys: keys, arena: arena) }
            func runs(_ values: [String]) -> UnsafeBufferPointer<ByteRun> { arena.table(values.map { arena.run($0) }) }
            let types = (mappings.eventTypes[schema.name] ?? [:]).sorted { $0.key < $1.key }
            eventTypes = table(types.map(\.key))
            eventTypeRuns = runs(types.map(\.value))

            func codelist(_ roleName: String) -> String? {
                guard let f = schema.roles[roleName] else { return nil }
                if let list = schema.field(f)?.codelist { return list }
                return schema.freeTextCodeList(f)
            }
            /// A code set's mapping table, or the free-text list it is matched through.
            func mapping(_ roleName: String, _ maps: [String: [String: String]?]) -> ([(String, String)], CodeList?) {
                guard let list = codelist(roleName) else { return ([], nil) }
                if let t = maps[list] ?? nil { return (t.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, nil) }
                if let cl = pipelines.codelists[list], !cl.aliases.isEmpty { return ([], cl) }
                return ((pipelines.codelists[list]?.codes ?? []).map { ($0, $0) }, nil)
            }
            let cats = mappings.ethnicCategories
            let notKnown = cats.firstIndex(of: "NOT_KNOWN") ?? 0
            let (sexPairs, sexFree) = mapping("sex", mappings.sex)
            sexTable = table(sexPairs.map(\.0))
            sexRuns = runs(sexPairs.map(\.1))
            sexFreeText = sexFree
            let (ethPairs, ethFree) = mapping("ethnicity", mappings.ethnicity)
            ethnicityTable = table(ethPairs.map(\.0))
            ethnicityCategory = arena.table(ethPairs.map { cats.firstIndex(of: $0.1) ?? notKnown })
            ethnicityFreeText = ethFree
            categories = table(cats)
            categoryRuns = runs(cats)
            groupRuns = runs(cats.map { mappings.ethnicGroups[$0] ?? "Not known" })
            notKnownCategory = notKnown
            unknownSex = arena.run("U")
            let las = mappings.laNames.keys.sorted()
            laCodes = runs(las)
            laNames = runs(las.map { mappings.laNames[$0]! })
            let forms = mappings.laForms.map { (String(decoding: $0.key, as: UTF8.self), $0.value) }.sorted { $0.0 < $1.0 }
            laForms = table(forms.map(\.0))
            laFormTarget = arena.table(forms.map { las.firstIndex(of: $0.1)! })
            let districts = mappings.districts.sorted { $0.key < $1.key }
            self.districts = table(districts.map(\.key))
            districtTarget = arena.table(districts.map { las.firstIndex(of: $0.value)! })
            outsideCode = arena.run(mappings.outsideCode)
            outsideName = arena.run(mappings.outsideName)
            notKnownCode = arena.run(mappings.notKnownCode)
            notKnownName = arena.run(mappings.notKnownName)
            ageBands = runs((0...130).map { mappings.ageBand($0) })
            attributeFields = mappings.eventAttributes.map { a in schema.attributes.contains(a) ? schema.index(of: a) ?? -1 : -1 }
            attributeLists = mappings.eventAttributes.map { a -> CodeList? in
                guard schema.attributes.contains(a) else { return nil }
                return schema.freeTextCodeList(a).flatMap { pipelines.codelists[$0] }
            }
        }
    }

    private var plan: Plan?
    private var quarterCache: [Int: (ByteRun, ByteRun)] = [:]
    private var lastQuarterKey = -1
    private var lastQuarter = (ByteRun.empty, ByteRun.empty)
    /// The row's postcode, made once and written in both files, and its LA
    /// field folded for matching; grown for a longer cell.
    private var postcode = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
    private var folded = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
    private var scratchRoom = 64
    /// Accepted rows with each schema field filled, by schema field.
    private var filledCounts: UnsafeMutablePointer<Int>?

    @inline(__always) private func makeRoom(_ n: Int) {
        guard n > scratchRoom else { return }
        postcode.deallocate(); folded.deallocate()
        scratchRoom = n
        postcode = .allocate(capacity: n)
        folded = .allocate(capacity: n)
    }

    init(pipelines: Pipelines, partner: String, sourceFile: String, eventsPath: String, identifiersPath: String, level: Int32 = 1,
         background: Bool = true) throws {
        self.pipelines = pipelines
        mappings = pipelines.mappings
        self.partner = partner
        self.sourceFile = sourceFile
        // gzip at `level` (1 for files between stages, 0 for the merge's cache), on Dispatch workers unless kept to one core.
        events = try FastCSVGzipRows(path: eventsPath, header: AlignedSchema.events(mappings), level: level, background: background)
        identifiers = try FastCSVGzipRows(path: identifiersPath, header: AlignedSchema.identifiers, level: level, background: background)
    }

    deinit {
        postcode.deallocate()
        folded.deallocate()
        filledCounts?.deallocate()
    }

    /// Accepted rows with each schema field filled, by schema field.
    var filled: [Int] { filledCounts.map { Array(UnsafeBufferPointer(start: $0, count: fieldNames.count)) } ?? [] }

    func accept(_ row: AcceptedRow) throws(OutputError) {
        if plan == nil, let schema = row.schema {
            plan = Plan(schema, pipelines: pipelines, partner: partner, sourceFile: sourceFile, arena: arena)
            fieldNames = schema.fields.map(\.name)
            filledCounts = .allocate(capacity: fieldNames.count)
            filledCounts!.initialize(repeating: 0, count: fieldNames.count)
        }
        guard let plan, let counts = filledCounts else { return }
        let state = row.fieldState
        for i in 0..<fieldNames.count where state.present[i] && state.trimmed[i].count > 0 { counts[i] += 1 }
        try write(row, plan)
    }

    private func write(_ row: AcceptedRow, _ p: Plan) throws(OutputError) {
        let roles = p.roles
        let fields = row.fieldState
        @inline(__always) func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> { fields.cell(i) }
        @inline(__always) func value(_ i: Int) -> Int64? { fields.value(i) }
        let start = value(roles.start)
        let startDay = start.map { Minutes.day($0) }
        let startDate = startDay.map { CivilDate(dayNumber: $0) }
        let dobDay = value(roles.dob).map { Minutes.day($0) }
        let dob = dobDay.map { CivilDate(dayNumber: $0) }

        // Age: from the date of birth, else the age the partner gave.
        var age: Int?
        if let dob, let startDate { age = CivilDate.age(born: dob, at: startDate) }
        else if let a = value(roles.age) { age = Int(a) }

        // Postcode and district, made once for both files.
        let pc = cell(roles.postcode), la = cell(roles.la)
        makeRoom(max(pc.count + 1, la.count))
        let postcode = postcode, folded = folded
        let (postcodeCount, districtCount) = pc.count > 0 ? TextNormalisation.postcode(pc, to: postcode) : (0, 0)
        let district = UnsafeBufferPointer(start: postcode, count: districtCount)

        // LA: the partner's own field when it maps, else the postcode district, else outside LLR.
        var laIndex = -1
        if la.count > 0 {
            let n = foldForMatching(la, to: folded)
            if let f = p.laForms.find(UnsafeBufferPointer(start: folded, count: n)) { laIndex = p.laFormTarget[f] }
        }
        if laIndex < 0, districtCount > 0, let d = p.districts.find(district) { laIndex = p.districtTarget[d] }

        // Sex and ethnicity, through the family's code set.
        let sex = sexRun(cell(roles.sex), p)
        let category = ethnicityCategory(cell(roles.ethnicity), p)
        let quarter = startDate.map { quarterRuns(FinancialQuarter(containing: $0)) }
        let rowNumber = row.rowNumber
        let key = cell(roles.key)
        let dateRoom = TextNormalisation.dateRoom

        let e = events
        e.verbatim(p.sourceFile)
        e.int(rowNumber)
        e.verbatim(p.partner)
        e.verbatim(p.family)
        e.cell(key)
        if let i = p.eventTypes.find(cell(roles.eventType)) { e.verbatim(p.eventTypeRuns[i]) } else { e.empty() }
        if let start, let startDay, let startDate {
            let minute = Int(start - Int64(startDay) * Minutes.perDay)
            e.verbatim(room: dateRoom) { TextNormalisation.isoDateTime(startDate, minuteOfDay: minute, to: $0) }
        } else { e.empty() }
        if let end = value(roles.end) {
            let day = Minutes.day(end)
            e.verbatim(room: dateRoom) { TextNormalisation.isoDateTime(CivilDate(dayNumber: day), minuteOfDay: Int(end - Int64(day) * Minutes.perDay), to: $0) }
        } else { e.empty() }
        if let quarter { e.verbatim(quarter.0); e.verbatim(quarter.1) } else { e.empty(); e.empty() }
        // No LA field and no postcode: the place is not recorded, which is not "outside LLR".
        let recorded = la.count > 0 || pc.count > 0
        e.verbatim(laIndex >= 0 ? p.laCodes[laIndex] : recorded ? p.outsideCode : p.notKnownCode)
        e.cell(laIndex >= 0 ? p.laNames[laIndex].buffer : recorded ? p.outsideName.buffer : p.notKnownName.buffer)
        e.verbatim(district)
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

        try writeIdentifiers(rowNumber: rowNumber, key: key, fields: fields, dob: dob,
                             postcode: UnsafeBufferPointer(start: postcode, count: postcodeCount), rawPostcode: pc, p)
        rowsWritten += 1
    }

    /// The row's sex as M/F/U through the family's code set or free-text forms.
    @inline(__always) private func sexRun(_ sx: UnsafeBufferPointer<UInt8>, _ p: Plan) -> ByteRun {
        guard sx.count > 0 else { return p.unknownSex }
        if let i = p.sexTable.find(sx) { return p.sexRuns[i] }
        guard let list = p.sexFreeText else { return p.unknownSex }
        if let code = list.code(forText: sx) { return code == "M" || code == "F" ? arenaRun(code) : p.unknownSex }
        unmapped["sex '" + displayString(sx) + "'", default: 0] += 1
        return p.unknownSex
    }

    /// The row's ONS ethnic category (its number) through the family's code set or free-text forms.
    @inline(__always) private func ethnicityCategory(_ eth: UnsafeBufferPointer<UInt8>, _ p: Plan) -> Int {
        var category = p.notKnownCategory
        guard eth.count > 0 else { return category }
        if let i = p.ethnicityTable.find(eth) {
            category = p.ethnicityCategory[i]
        } else if let list = p.ethnicityFreeText {
            if let code = list.code(forText: eth) { category = p.categories.find(Array(code.utf8)) ?? category }
            else { unmapped["ethnicity '" + displayString(eth) + "'", default: 0] += 1 }
        }
        return category
    }

    /// The row's identifiers (restricted): normalised, then as they came.
    @inline(__always) private func writeIdentifiers(rowNumber: Int, key: UnsafeBufferPointer<UInt8>, fields: FieldState, dob: CivilDate?,
                                                    postcode: UnsafeBufferPointer<UInt8>, rawPostcode pc: UnsafeBufferPointer<UInt8>,
                                                    _ p: Plan) throws(OutputError) {
        let roles = p.roles
        @inline(__always) func cell(_ i: Int) -> UnsafeBufferPointer<UInt8> { fields.cell(i) }
        let d = identifiers
        d.verbatim(p.sourceFile)
        d.int(rowNumber)
        d.verbatim(p.partner)
        d.cell(key)
        d.cell(cell(roles.personId))
        let forename = cell(roles.forename), surname = cell(roles.surname), nhs = cell(roles.nhs)
        d.cell(room: forename.count) { TextNormalisation.name(forename, to: $0) }
        d.cell(room: surname.count) { TextNormalisation.name(surname, to: $0) }
        if let dob { d.verbatim(room: TextNormalisation.dateRoom) { TextNormalisation.isoDate(dob, to: $0) } } else { d.empty() }
        d.cell(postcode)
        d.verbatim(room: nhs.count) { TextNormalisation.digits(nhs, to: $0) }
        d.cell(cell(roles.upn))
        d.cell(forename)
        d.cell(surname)
        d.cell(cell(roles.dob))
        d.cell(pc)
        try d.endRow()
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
