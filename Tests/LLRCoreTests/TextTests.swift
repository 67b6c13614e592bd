import LLRTestSupport
import Testing
@testable import LLRCore

@Suite("Patterns, UTF-8, folding, hashing, CSV writing")
struct TextTests {
    static let postcode = "[A-Za-z]{1,2}[0-9][A-Za-z0-9]? *[0-9][A-Za-z]{2}"
    static let district = "[A-Za-z]{1,2}[0-9][A-Za-z0-9]?( *[0-9][A-Za-z]{2})?"

    @Test(arguments: [
        (postcode, "LE1 6ZG", true), (postcode, "le16zg", true), (postcode, "LE11  3TU", true), (postcode, "EC1A 1BB", true),
        (postcode, "LE1", false), (postcode, "LE1 6Z", false), (postcode, "1LE 6ZG", false), (postcode, "LE1 6ZG X", false),
        (district, "LE4", true), (district, "LE4 6AB", true), (district, "LE", false), (district, "LE4 6", false),
        ("LP-[0-9]+", "LP-100234", true), ("LP-[0-9]+", "LP-", false), ("LP-[0-9]+", "100234", false), ("LP-[0-9]+", "lp-1", false),
        ("[A-Za-z][0-9]{5}", "C82001", true), ("[A-Za-z][0-9]{5}", "C8200", false), ("[A-Za-z][0-9]{5}", "C820011", false),
        ("^(UN[1-5]|[A-Z][0-9]{12})$", "UN3", true), ("^(UN[1-5]|[A-Z][0-9]{12})$", "A123456789012", true),
        ("^(UN[1-5]|[A-Z][0-9]{12})$", "UN6", false), ("a|b|cd", "cd", true), ("a|b|cd", "c", false),
        ("[^,]+", "abc", true), ("[^,]+", "a,c", false), ("\\d{2}-\\w+", "12-ab_c", true), ("x*x*x*x*x*y", String(repeating: "x", count: 40), false),
    ])
    func patterns(pattern: String, value: String, matches: Bool) throws {
        #expect(try BytePattern(pattern).matches(value) == matches)
    }

    /// The automaton and the backtracking matcher agree on every string over
    /// a small alphabet, for patterns with classes, repeats, groups and `|`.
    @Test(arguments: [postcode, district, "LP-[0-9]+", "(ab|a)*b?", "a{2,3}(b|cd)*", "(UN[1-5]|[A-Z][0-9]{3})", "x*x*y", "(a|b)+c{0,2}"])
    func automatonAgreesWithBacktracking(pattern: String) throws {
        let p = try BytePattern(pattern)
        let dfa = try #require(p.dfa)
        let alphabet = Array("abcdxyLPUN-1 5E9A".utf8)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let s = (0..<Int.random(in: 0...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            s.withUnsafeBufferPointer { b in
                #expect(dfa.matches(b) == BytePattern.match(p.root, b, 0, BytePattern.StepBudget()) { $0 == b.count }, "\(String(decoding: s, as: UTF8.self))")
            }
        }
    }

    @Test func hugeRepeatFallsBackToBacktracking() throws {
        let p = try BytePattern("a{1,100000}")
        #expect(p.dfa == nil)
        #expect(p.matches("aaa"))
    }

    @Test(arguments: ["[A-Z", "(ab", "a{2", "ab)", "a{3,1}"])
    func badPatterns(pattern: String) {
        #expect(throws: PatternError.self) { try BytePattern(pattern) }
    }

    @Test(arguments: [
        ([UInt8]("plain ascii".utf8), true), ([UInt8]("Zoë".utf8), true), ([0x5A, 0x6F, 0xEB], false),  // Latin-1 ë
        ([0xC3], false), ([0xED, 0xA0, 0x80], false), ([0xF0, 0x9F, 0x98, 0x80], true), ([0xC0, 0x80], false),
    ])
    func utf8(bytes: [UInt8], valid: Bool) {
        bytes.withUnsafeBufferPointer { #expect(UTF8Check.isValid($0) == valid) }
    }

    @Test(arguments: [("3", 3.0), ("-12.5", -12.5), ("0.125", 0.125), ("-0.25", -0.25), (".5", 0.5), ("17.00", 17.0)])
    func decimals(_ text: String, _ value: Double) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { parseDecimal($0) } == value)
    }

    @Test(arguments: ["", "1e5", "1.", "1.2.3", "abc", "--1", "1.-2", "12,5"])
    func notDecimals(_ text: String) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { parseDecimal($0) } == nil)
    }

    @Test func foldingIgnoresCaseSpacesAndPunctuation() {
        #expect(foldForMatching("Barnardo's") == foldForMatching("BARNARDOS"))
        #expect(foldForMatching("Asian - Indian") == foldForMatching("asian indian"))
        #expect(foldForMatching("LE1") != foldForMatching("LE11"))
    }

    @Test func hashesSeparateCellBoundaries() {
        var a = Array("abc".utf8), b = Array("abd".utf8)
        let ha = a.withUnsafeMutableBytes { hashBytes($0.baseAddress, $0.count) }
        let hb = b.withUnsafeMutableBytes { hashBytes($0.baseAddress, $0.count) }
        #expect(ha != hb)
        var index = HashIndex(capacity: 4)
        for i in 0..<10_000 { #expect(index.insert(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, row: i + 2) == nil) }
        #expect(index.insert(UInt64(5) &* 0x9E37_79B9_7F4A_7C15, row: 99_999) == 7)
        #expect(index.count == 10_000)
    }

    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("=SUM(A1)", "'=SUM(A1)"),
        ("+44", "'+44"), ("-1", "'-1"), ("@cmd", "'@cmd"), ("=1,2", "\"'=1,2\""), ("two\nlines", "\"two\nlines\""), ("", ""),
    ])
    func csvCells(cell: String, written: String) {
        var row = CSVRowBuilder()
        row.add(cell)
        #expect(String(decoding: row.bytes, as: UTF8.self) == written)
    }

    @Test(arguments: [
        (0.0000000123456, 3, "1.23e-08"), (0.0135817, 3, "0.0136"), (0.7909, 3, "0.791"), (0.0, 3, "0.0"), (12.5, 2, "13.0"),
    ])
    func significantFigures(value: Double, digits: Int, written: String) {
        #expect(significantText(value, digits: digits) == written)
    }
}
