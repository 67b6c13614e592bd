import Foundation
import LLRTestSupport
import Testing
@testable import LLRCore
import LLRValidation

@Suite("Pipelines/ as data")
struct PipelinesTests {
    @Test func theRepositoryContractLoads() throws {
        let p = try Pipelines.load(from: packageRoot + "/Pipelines")
        #expect(Set(p.families.keys) == ["police", "health", "council", "vcs", "commentary"])
        #expect(p.registry.partners.count == 12)
        #expect(p.families["council"]!.field("cp_category")!.constraints.enumValues == ["NEG", "PHY", "EMO", "SAB", "MUL"])
        for code in FindingCode.allCases { #expect(p.catalog.entries[code.rawValue] != nil) }
    }

    @Test(arguments: [
        ("University Hospitals Leicester", "UHL"), ("university hospitals of leicestershire nhs trust", "UHL"),
        ("Barnardos", "BARNARDOS"), ("BARNARDO'S", "BARNARDOS"), ("the Y in Leicester", "YMCA"), ("lp", "LP"),
        ("West Leicestershire CCG", "ICB"),
    ])
    func aliases(name: String, code: String) throws {
        let p = try Pipelines.load(from: packageRoot + "/Pipelines")
        #expect(p.registry.resolve(name)?.code == code)
    }

    @Test func unknownNameResolvesToNothing() throws {
        let p = try Pipelines.load(from: packageRoot + "/Pipelines")
        #expect(p.registry.resolve("Barnados Leicester") == nil)
        #expect(p.registry.resolve("") == nil)
    }


    func loadError(_ dir: String) -> PipelineError? {
        do { _ = try Pipelines.load(from: dir); return nil } catch { return error }
    }

    @Test func unknownKeyIsReportedWithFileAndLine() throws {
        let dir = try editedPipelines("families/health.yaml") { $0.replacingOccurrences(of: "constraints: {required: true, unique: true}", with: "constraints: {requried: true, unique: true}") }
        let e = try #require(loadError(dir))
        #expect(e.file == "families/health.yaml")
        #expect(e.line == 24)
        #expect(e.message.contains("unknown key 'requried'"))
    }

    @Test func unknownTopLevelKeyInTheRegistry() throws {
        let dir = try editedPipelines("partners.yaml") { $0 + "extra: 1\n" }
        let e = try #require(loadError(dir))
        #expect(e.file == "partners.yaml")
        #expect(e.message.contains("unknown key 'extra'"))
    }

    @Test func badPatternTypeAndRuleFieldAreErrors() throws {
        let cases: [(String, (String) -> String, String)] = [
            ("families/police.yaml", { $0.replacingOccurrences(of: "\"LP-[0-9]+\"", with: "\"LP-[0-9+\"") }, "unclosed '['"),
            ("families/police.yaml", { $0.replacingOccurrences(of: "type: datetime", with: "type: timestamp") }, "timestamp"),
            ("families/council.yaml", { $0.replacingOccurrences(of: "field: upn", with: "field: upm") }, "'upm' is not a field"),
            ("codes.yaml", { $0.replacingOccurrences(of: "severity: warning", with: "severity: fatal") }, "error or warning"),
            ("families/vcs.yaml", { $0.replacingOccurrences(of: "rule: free-text", with: "rule: free-txt") }, "unknown rule"),
            ("families/commentary.yaml", { $0.replacingOccurrences(of: ", action: action}", with: "}") }, "'roles' needs action"),
            ("families/commentary.yaml", { $0.replacingOccurrences(of: "{measure: measure,", with: "{key: measure,") }, "unknown role 'key'"),
            ("families/commentary.yaml", { $0.replacingOccurrences(of: "{maxLength: 2000}", with: "{maxLength: 0}") }, "maxLength must be 1 or more"),
            ("families/commentary.yaml", { $0.replacingOccurrences(of: "tolerance: 0.5", with: "tolerance: -1") }, "tolerance cannot be negative"),
            ("measures.yaml", { $0.replacingOccurrences(of: "  - partner: LP\n", with: "  - partner: LPX\n") }, "'LPX' is not a partner code"),
            ("measures.yaml", { $0.replacingOccurrences(of: "code: LP_RETURN_INTERVIEWS_72H", with: "code: CONTACTS") }, "CONTACTS is already a measure"),
        ]
        for (file, edit, expected) in cases {
            let e = try #require(loadError(try editedPipelines(file, edit)))
            #expect(e.file == file)
            #expect(e.line > 0)
            #expect(e.message.contains(expected), "\(e)")
        }
    }

    /// Scalars are read as text and turned into numbers or booleans where a
    /// key asks for one, as YAML 1.1 spells them; a quoted "true" is text.
    @Test func scalarsAreReadAsTheKeyAsks() throws {
        let path = tempDir() + "/values.yaml"
        try """
        on: yes
        off: Off
        flag: TRUE
        quoted: "true"
        count: 1_000
        hex: 0x1F
        weight: 0.95
        small: 1e-3
        whole: 3
        code: 007
        word: maybe

        """.write(toFile: path, atomically: true, encoding: .utf8)
        var m = try StrictMap(StrictMap.loadRoot(path: path, displayName: "values.yaml"), file: "values.yaml", what: "the file")
        #expect(try m.bool("on") == true)
        #expect(try m.bool("off") == false)
        #expect(try m.bool("flag") == true)
        #expect(throws: PipelineError.self) { try m.bool("quoted") }
        #expect(throws: PipelineError.self) { try m.bool("word") }
        #expect(try m.int("count") == 1000)
        #expect(try m.int("hex") == 31)
        #expect(try m.double("weight") == 0.95)
        #expect(try m.double("small") == 0.001)
        #expect(try m.double("whole") == 3)
        #expect(try m.string("code") == "007")
        #expect(try m.string("quoted") == "true")
        #expect(m.keys == ["on", "off", "flag", "quoted", "count", "hex", "weight", "small", "whole", "code", "word"])
        try m.finish()
    }

    @Test func missingFolderIsAnError() {
        #expect(loadError("/nonexistent/Pipelines")?.message.contains("does not exist") == true)
    }

    @Test(arguments: [
        ("UHL_health_2024-25_Q1.csv.gz", "UHL", 2024, 1, 1), ("UHL_health_2024-25_Q1_v2.csv.gz", "UHL", 2024, 1, 2),
        ("LCC_council_2023-24_Q4.csv", "LCC", 2023, 4, 1), ("uhl_health_2024-25_Q3.csv.gz", "UHL", 2024, 3, 1),
    ])
    func conventionalNames(name: String, partner: String, fy: Int, q: Int, v: Int) throws {
        let p = try Pipelines.load(from: packageRoot + "/Pipelines")
        let parsed = try ReturnFileName.parse(name, registry: p.registry).get()
        #expect(parsed.partner == partner && parsed.quarter == FinancialQuarter(startYear: fy, quarter: q) && parsed.version == v)
    }

    @Test(arguments: ["export.csv", "XYZ_health_2024-25_Q1.csv.gz", "UHL_police_2024-25_Q1.csv.gz", "UHL_health_2024-25_Q5.csv.gz", "UHL_health_2024-25_Q1_final.csv.gz"])
    func unconventionalNames(name: String) throws {
        let p = try Pipelines.load(from: packageRoot + "/Pipelines")
        #expect((try? ReturnFileName.parse(name, registry: p.registry).get()) == nil)
    }
}
