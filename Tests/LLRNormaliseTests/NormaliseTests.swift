import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
@testable import LLRNormalise
@testable import LLRValidation
import LLRSynth

func normalise(_ bytes: UnsafeBufferPointer<UInt8>, _ f: (UnsafeBufferPointer<UInt8>, inout [UInt8]) -> Void) -> String {
    var out: [UInt8] = []
    f(bytes, &out)
    return String(decoding: out, as: UTF8.self)
}

/// What a form that writes at a pointer (given `room` bytes) writes, as text.
func written(room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { tmp in
        String(decoding: UnsafeBufferPointer(rebasing: tmp[0..<write(tmp.baseAddress!)]), as: UTF8.self)
    }
}

func with(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> String) -> String {
    var s = s
    return s.withUTF8(body)
}

@Suite("Normalisation rules")
struct NormalisationRuleTests {
    @Test(arguments: [
        ("Zoë", "ZOE"), ("O'Neill", "O'NEILL"), ("  mary-jane   smith ", "MARY-JANE SMITH"), ("Smith, Jr.", "SMITH JR"),
        ("Ælfrida", "AELFRIDA"), ("Łukasz", "LUKASZ"), ("Renée", "RENEE"), ("O’Brien", "O'BRIEN"), ("José María", "JOSE MARIA"),
        ("Straße", "STRASSE"), ("Chloë-Anne", "CHLOE-ANNE"), ("", ""), ("(unknown)", "UNKNOWN"),
    ])
    func names(raw: String, expected: String) {
        #expect(with(raw) { normalise($0, TextNormalisation.name) } == expected)
    }

    @Test(arguments: [
        ("le16zg", "LE1 6ZG", "LE1"), ("LE1 6ZG", "LE1 6ZG", "LE1"), ("LE11  3TU", "LE11 3TU", "LE11"), ("ec1a1bb", "EC1A 1BB", "EC1A"),
        ("LE4", "LE4", "LE4"), ("le15", "LE15", "LE15"),
    ])
    func postcodes(raw: String, expected: String, district: String) {
        var s = raw
        var out: [UInt8] = [], d: [UInt8] = []
        s.withUTF8 { TextNormalisation.postcode($0, into: &out, district: &d) }
        #expect(String(decoding: out, as: UTF8.self) == expected)
        #expect(String(decoding: d, as: UTF8.self) == district)
    }

    @Test func nhsNumbersKeepTheirDigits() {
        #expect(with("083 016 6130") { cell in written(room: cell.count) { TextNormalisation.digits(cell, to: $0) } } == "0830166130")
    }

    @Test func isoDates() {
        let room = TextNormalisation.dateRoom
        #expect(written(room: room) { TextNormalisation.isoDateTime(CivilDate(year: 2024, month: 4, day: 3), minuteOfDay: 21 * 60 + 5, to: $0) }
                == "2024-04-03T21:05")
        #expect(written(room: room) { TextNormalisation.isoDateTime(CivilDate(year: 2024, month: 4, day: 3), minuteOfDay: 0, to: $0) } == "2024-04-03")
        #expect(written(room: room) { TextNormalisation.isoDate(CivilDate(year: 2009, month: 2, day: 14), to: $0) } == "2009-02-14")
    }

    /// Values made where they are written (names, dates, digits) are
    /// escaped afterwards like any cell: a name that starts like a formula
    /// gets its apostrophe, one too long for the buffer still goes whole.
    @Test func valuesWrittenInPlaceAreEscaped() throws {
        let path = tempDir() + "/in-place.csv.gz"
        let out = try FastCSVGzipRows(path: path, header: ["a", "b"], level: 1, background: false)
        let long = String(repeating: "ab ", count: 3000)
        for raw in ["-smith", "o'neill", long, "zoë"] {
            var s = raw
            s.withUTF8 { cell in out.cell(room: cell.count) { TextNormalisation.name(cell, to: $0) } }
            out.verbatim(room: TextNormalisation.dateRoom) { TextNormalisation.isoDate(CivilDate(year: 987, month: 1, day: 2), to: $0) }
            try out.endRow()
        }
        out.cell(room: 8) { p in for (i, b) in "x,\"y".utf8.enumerated() { p[i] = b }; return 4 }
        out.int(-42)
        try out.endRow()
        out.int(Int.min)
        out.int(0)
        try out.endRow()
        try out.commit()
        let longName = String(repeating: "AB ", count: 2999) + "AB"
        #expect(try gunzip(path) == "a,b\n'-SMITH,0987-01-02\nO'NEILL,0987-01-02\n\(longName),0987-01-02\nZOE,0987-01-02\n\"x,\"\"y\",-42\n-9223372036854775808,0\n")
    }

    @Test(arguments: [(0, "0-4"), (4, "0-4"), (5, "5-9"), (10, "10-15"), (15, "10-15"), (16, "16-17"), (17, "16-17"), (18, "18+"), (25, "18+")])
    func ageBands(age: Int, band: String) {
        #expect(contract.mappings.ageBand(age) == band)
    }
}

@Suite("Mappings")
struct MappingTests {
    /// Every code of every family's sex and ethnicity list maps, to M/F/U and to an ONS category.
    @Test(arguments: ["police", "health", "council", "vcs"])
    func everyCodeMaps(family: String) throws {
        let schema = try #require(contract.families[family])
        for role in ["sex", "ethnicity"] {
            let field = try #require(schema.roles[role])
            let list = schema.field(field)?.codelist ?? schema.freeTextCodeList(field)
            let name = try #require(list, "\(family).\(role) has no code list")
            let codes = contract.codelists[name]!.codes
            let table = role == "sex" ? contract.mappings.sex[name] : contract.mappings.ethnicity[name]
            let targets: Set<String> = role == "sex" ? ["M", "F", "U"] : Set(contract.mappings.ethnicCategories)
            for code in codes {
                let mapped = (table ?? nil).map { $0[code] } ?? code
                #expect(mapped.map { targets.contains($0) } == true, "\(family) \(role) \(code) → \(String(describing: mapped))")
            }
        }
    }

    @Test(arguments: [("Leics", "E10000018"), ("leicester city", "E06000016"), ("E10000018", "E10000018"), ("County", "E10000018"), ("RUTLAND", "E06000017")])
    func localAuthorityForms(typed: String, code: String) {
        #expect(contract.mappings.laForms[foldForMatching(typed)] == code)
    }

    @Test(arguments: [("LE1", "E06000016"), ("LE5", "E06000016"), ("LE15", "E06000017"), ("LE65", "E10000018"), ("DE74", "E10000018"), ("CV13", "E10000018")])
    func postcodeDistricts(district: String, code: String) {
        #expect(contract.mappings.districts[district] == code)
    }

    @Test func everyGroupIsOneOfTheFive() {
        #expect(Set(contract.mappings.ethnicGroups.values) == ["White", "Mixed", "Asian", "Black", "Other", "Not known"])
        #expect(contract.mappings.ethnicCategories.count == 19)
    }
}

@Suite("llr-normalise end to end")
struct NormaliseEndToEndTests {
    /// Sample returns with cells, rows and headers damaged at random (a fixed
    /// seed): each is read to its end, and every row read is an event, a
    /// rejected row or a copy, exactly one of them. (Mutations like these
    /// found a crash on a long run of digits in a date, and a row counted
    /// both as rejected and as a copy.)
    @Test func damagedReturnsAccountForEveryRow() throws {
        let hostile = ["", " ", "0", "-1", "99999999999999999999999", "0000-00-00", "31/02/2024", "29/02/2023", "=cmd|x", "\"", "NULL",
                       "1e309", "NaN", "2024-13-01T25:61", "3 Apr 2024", "3/4/99999", "le16zg", "ZZ99 9ZZ", "0000000000", "\u{200B}",
                       String(repeating: "x", count: 300), "Leics", "ZOË", "a,b"]
        let sample = packageRoot + "/SampleData/returns"
        let names = try FileManager.default.contentsOfDirectory(atPath: sample).filter { !$0.contains("_v") }.sorted()
        var rng = SynthRandom(seed: 2024)
        for case_ in 0..<120 {
            let name = rng.pick(names)
            var lines = try gunzip(sample + "/" + name).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            switch rng.below(4) {
            case 0:  // cells replaced
                for _ in 0..<20 {
                    let i = 1 + rng.below(lines.count - 1)
                    var cells = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    cells[rng.below(cells.count)] = rng.pick(hostile)
                    lines[i] = cells.joined(separator: ",")
                }
            case 1:  // rows copied and cut short
                for _ in 0..<10 { lines.append(lines[1 + rng.below(lines.count - 1)]) }
                for _ in 0..<5 { let i = 1 + rng.below(lines.count - 1); lines[i] = String(lines[i].prefix(lines[i].count / 2)) }
            case 2:  // a header column repeated, some rows copied
                lines[0] += "," + (lines[0].split(separator: ",").last.map(String.init) ?? "x")
                for _ in 0..<5 { lines.append(lines[1 + rng.below(lines.count - 1)]) }
            default:  // the header in capitals, a row of commas
                lines[0] = lines[0].uppercased()
                lines.insert(String(repeating: ",", count: 40), at: 1 + rng.below(lines.count - 1))
            }
            let dir = tempDir()
            let path = dir + "/" + name.replacingOccurrences(of: ".csv.gz", with: ".csv")
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            var o = ValidationOptions()
            o.asOf = CivilDate(iso: "2024-12-01")
            let r = normaliseReturn(path: path, pipelines: contract, options: o, outDir: dir)
            #expect(r.outputProblem == nil, "case \(case_) \(name)")
            let copies = try gunzip(r.duplicatesPath).split(separator: "\n").count - 1
            #expect(r.events + r.report.stats.rowsRejected + copies == r.report.stats.rows,
                    "case \(case_) \(name): \(r.events) events + \(r.report.stats.rowsRejected) rejected + \(copies) copies != \(r.report.stats.rows) rows")
        }
    }

    /// One valid return per family, normalised, against hand-checked golden files.
    @Test(arguments: ["LP_police_2024-25_Q1", "UHL_health_2024-25_Q1", "LCC_council_2024-25_Q1", "BARNARDOS_vcs_2024-25_Q1"])
    func goldenFiles(stem: String) throws {
        let dir = tempDir()
        var o = ValidationOptions()
        o.asOf = CivilDate(iso: "2024-12-01")
        let r = normaliseReturn(path: packageRoot + "/Tests/Fixtures/returns/\(stem).csv.gz", pipelines: contract, options: o, outDir: dir)
        #expect(r.outputProblem == nil)
        for kind in ["events", "identifiers"] {
            let got = try gunzip("\(dir)/\(stem).\(kind).csv.gz")
            let golden = try String(contentsOfFile: packageRoot + "/Tests/Fixtures/normalised/\(stem).\(kind).csv", encoding: .utf8)
            #expect(got == golden, "\(stem).\(kind)")
        }
    }

    @Test func rejectedRowsStayOutOfTheEventsAndGoToRejects() throws {
        let dir = tempDir()
        var o = ValidationOptions()
        o.asOf = CivilDate(iso: "2024-12-01")
        let r = normaliseReturn(path: packageRoot + "/Tests/Fixtures/returns/LPT_health_2024-25_Q1.csv.gz", pipelines: contract, options: o, outDir: dir)
        #expect(r.events == 1)
        #expect(r.report.stats.rowsRejected == 10)
        let rejects = try gunzip(r.rejectsPath)
        #expect(rejects.split(separator: "\n").count == 11)
        #expect(try gunzip(r.eventsPath).split(separator: "\n").count == 2)
    }

    /// On the sample data every event has a canonical type, an LA, a quarter,
    /// an age band, a sex and an ethnicity group; names are only in the identifiers.
    @Test func sampleDataIsFullyAligned() throws {
        let dir = tempDir()
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/SampleData/returns").sorted().map { packageRoot + "/SampleData/returns/" + $0 }
        let results = normaliseReturns(paths: files, pipelines: contract, options: ValidationOptions(), outDir: dir, jobs: 2)
        let m = contract.mappings
        let laCodes = Set(m.laNames.keys).union([m.outsideCode, m.notKnownCode])
        var events = 0
        for r in results {
            let lines = try gunzip(r.eventsPath).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = lines[0]
            func col(_ n: String) -> Int { header.firstIndex(of: n)! }
            for row in lines.dropFirst() {
                events += 1
                #expect(m.canonicalEventTypes.contains(row[col("event_type")]), "\(r.report.file) \(row)")
                #expect(laCodes.contains(row[col("la_code")]))
                #expect(["Q1", "Q2", "Q3", "Q4"].contains(row[col("quarter")]))
                #expect(m.ageBands.map(\.0).contains(row[col("age_band")]))
                #expect(["M", "F", "U"].contains(row[col("sex")]))
                #expect(Set(m.ethnicGroups.values).contains(row[col("ethnicity_group")]))
            }
            #expect(!lines[0].contains("forename") && !lines[0].contains("surname"))
            let ids = try gunzip(r.identifiersPath).split(separator: "\n")
            #expect(ids.count == lines.count)
            #expect(ids[0].contains("forename,surname,dob"))
        }
        #expect(events > 10_000)
    }
}

@Suite("llr-normalise command line")
struct NormaliseCommandLineTests {
    func run(_ args: [String]) throws -> (Int32, String, String) {
        let r = try runTool("llr-normalise", args)
        return (r.status, r.out, r.err)
    }

    @Test func writesTheThreeFilesPerReturn() throws {
        let dir = tempDir() + "/aligned"
        let (status, out, _) = try run(["--out", dir, "--as-of", "2024-12-01", packageRoot + "/Tests/Fixtures/returns/UHL_health_2024-25_Q1.csv.gz"])
        #expect(status == 0)
        #expect(out.contains("UHL_health_2024-25_Q1.csv.gz: 5 events, 0 rows rejected"))
        for kind in ["events", "identifiers", "rejects"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/UHL_health_2024-25_Q1.\(kind).csv.gz"))
        }
    }

    @Test func rejectedRowsGiveExitOneAndListUnmappedText() throws {
        let dir = tempDir()
        let (status, out, _) = try run(["--out", dir, "--as-of", "2024-12-01", packageRoot + "/Tests/Fixtures/returns/NSPCC_vcs_2024-25_Q1.csv.gz"])
        #expect(status == 1)
        #expect(out.contains("2 events, 6 rows rejected"))
        #expect(out.contains("1 × sex 'lad'"))
    }

    @Test func levelZeroStoresTheSameRowsAndOneCoreGivesTheSameBytes() throws {
        let file = packageRoot + "/SampleData/returns/LCC_council_2024-25_Q1.csv.gz"
        let quick = tempDir(), stored = tempDir(), single = tempDir()
        #expect(try run(["--out", quick, file]).0 != 2)
        #expect(try run(["--out", stored, "--level", "0", file]).0 != 2)
        #expect(try run(["--out", single, "--jobs", "1", file]).0 != 2)
        for kind in ["events", "identifiers"] {
            let name = "/LCC_council_2024-25_Q1.\(kind).csv.gz"
            #expect(try gunzip(stored + name) == gunzip(quick + name))
            let size = { (path: String) in try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
            #expect(try size(stored + name) > 2 * size(quick + name), "level 0 stores the text as it is")
            #expect(try Data(contentsOf: URL(fileURLWithPath: single + name)) == Data(contentsOf: URL(fileURLWithPath: quick + name)))
        }
        let (status, _, err) = try run(["--out", tempDir(), "--level", "10", file])
        #expect(status == 2 && err.contains("0 to 9"))
    }

    @Test func badArgumentsExitTwo() throws {
        #expect(try run([]).0 == 2)
        let (status, _, err) = try run(["--out", tempDir(), "--period", "Q1", packageRoot + "/SampleData/returns/UHL_health_2024-25_Q1.csv.gz"])
        #expect(status == 2 && err.contains("2024-25_Q1"))
    }
}

