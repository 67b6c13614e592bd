import Testing
@testable import LLRDedupe

@Suite struct ComparisonTests {
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
