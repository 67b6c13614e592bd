import Testing
@testable import LLRDedupe

@Suite struct ComparisonTests {
    /// The records the linkage compares, made in ranges on several workers
    /// and joined, are the same records, byte for byte, as made row by row
    /// (names that are empty included).
    @Test func recordsMadeInRangesEqualRecordsMadeRowByRow() {
        let rows = 5_000
        @Sendable func details(_ g: Int) -> (String, String, String, String, String, [String]) {
            let forename = g % 7 == 0 ? "" : "FORENAME\(g % 97)"
            let surname = g % 11 == 0 ? "" : "SURNAME-\(g)"
            let dob = g % 5 == 0 ? "" : "2010-0\(1 + g % 9)-1\(g % 10)"
            let sex = g % 3 == 0 ? "M" : "F"
            let postcode = g % 13 == 0 ? "" : "LE\(g % 20) \(g % 10)AB"
            let nhs = g % 4 == 0 ? "" : "\(9_000_000_000 + g)"
            return (forename, surname, dob, sex, postcode, [nhs])
        }
        let one = PersonRecords(identifierColumns: 1)
        for g in 0..<rows {
            let d = details(g)
            one.append(forename: d.0, surname: d.1, dob: d.2, sex: d.3, postcode: d.4, identifiers: d.5)
        }
        let joined = PersonRecords.build(count: rows, identifierColumns: 1, jobs: 2) { part, range in
            for g in range {
                let d = details(g)
                part.append(forename: d.0, surname: d.1, dob: d.2, sex: d.3, postcode: d.4, identifiers: d.5)
            }
        }
        #expect(joined.count == rows)
        #expect(joined.arena == one.arena)
        func spans(_ r: PersonRecords) -> [UInt64] {
            var out: [UInt64] = []
            for g in 0..<r.count {
                for s in [r.forename[g], r.surname[g], r.postcode[g]] { out.append(UInt64(s.offset) << 16 | UInt64(s.count)) }
            }
            return out
        }
        #expect(spans(joined) == spans(one))
        #expect(joined.dob == one.dob && joined.sex == one.sex && joined.identifiers == one.identifiers)
        #expect((0..<rows).allSatisfy { joined.text(joined.surname[$0]) == one.text(one.surname[$0]) })
    }

    /// The nickname lookup answers as the table does, name by name, and
    /// finds nothing for a name the table lacks or a name's prefix.
    @Test func nicknameLookupMatchesTheTable() {
        let table = linkageSettings.nicknameGroups
        #expect(table.count > 10)
        let lookup = NicknameLookup(table)
        for (name, groups) in table {
            let found = name.withUnsafeBufferPointer { lookup.groups(of: $0) }
            #expect(found?.0 == Int32(groups[0]) && found?.1 == (groups.count > 1 ? Int32(groups[1]) : -1), "\(String(decoding: name, as: UTF8.self))")
        }
        for miss in ["ZZYZX", "THOMA", ""] {
            #expect(Array(miss.utf8).withUnsafeBufferPointer { lookup.groups(of: $0) } == nil)
        }
    }

    @Test func jaroWinklerKnownValues() {
        // Published values (Winkler 1990 examples).
        #expect(abs(jaroWinkler("MARTHA", "MARHTA") - 0.9611) < 0.001)
        #expect(abs(jaroWinkler("DWAYNE", "DUANE") - 0.84) < 0.001)
        #expect(abs(jaroWinkler("DIXON", "DICKSONX") - 0.8133) < 0.001)
        #expect(jaroWinkler("SMITH", "SMITH") == 1)
        #expect(jaroWinkler("ABC", "XYZ") == 0)
    }

    @Test(arguments: [
        (20190403, 20190403, DOBAgreement.exact),
        (20190403, 20190304, .dayMonthSwap),
        (20190403, 20190408, .oneDigit),
        (20190403, 20190430, .oneDigit),   // neighbouring digits swapped
        (20190403, 20180403, .oneDigit),
        (20190403, 20170812, .other),
    ] as [(Int32, Int32, DOBAgreement)])
    func datesOfBirth(a: Int32, b: Int32, expected: DOBAgreement) {
        #expect(compareDOB(a, b) == expected)
    }

    @Test(arguments: [
        ("LE1 6ZG", "LE1 6ZG", PostcodeAgreement.exact),
        ("LE1 6ZG", "LE1 6AB", .sector),
        ("LE1 6ZG", "LE1 7AB", .district),
        ("LE1 6ZG", "LE1", .district),
        ("LE1", "LE1", .district),
        ("LE1 6ZG", "LE16 6ZG", .other),
    ])
    func postcodes(a: String, b: String, expected: PostcodeAgreement) {
        let x = Array(a.utf8), y = Array(b.utf8)
        x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in #expect(comparePostcodes(p, q) == expected) } }
    }
}
