import Foundation
import LLRCore
import LLRTestSupport
import Testing
@testable import LLRDedupe

/// Contract §5 step 4 with ids that are checked: a shared id joins two
/// records only when their names and date of birth do not say two children.
@Suite struct CorroborationTests {
    let partnerRule = linkageSettings.deterministic.firstIndex { $0.field == "person_source_id" }!
    let nhsRule = linkageSettings.deterministic.firstIndex { $0.field == "nhs_number" }!

    func records(_ rows: [(forename: String, surname: String, dob: String, id: String, rule: Int)]) -> PersonRecords {
        let records = PersonRecords(identifierColumns: linkageSettings.deterministic.count)
        for r in rows {
            var ids = [String](repeating: "", count: linkageSettings.deterministic.count)
            ids[r.rule] = r.id
            // Different postcodes: only the id could join these records.
            records.append(forename: r.forename, surname: r.surname, dob: r.dob, sex: "", postcode: "", identifiers: ids)
        }
        return records
    }

    /// A police id keyed for the wrong child (another child's names and
    /// dob) joins neither child to the other, whichever came first; the pair
    /// waits for review as "same id, different child?".
    @Test(arguments: [false, true]) func aWrongIdDoesNotJoinTwoChildren(wrongFirst: Bool) {
        let child = [("OLIVIA", "PATEL", "2013-05-17", "NP-500101", partnerRule), ("OLIVIA", "PATEL", "2013-05-17", "NP-500101", partnerRule),
                     ("OLIVIA", "PATEL", "2013-05-17", "NP-500101", partnerRule)]
        let wrong = [("JACK", "MORRIS", "2009-11-02", "NP-500101", partnerRule)]
        let result = PersonLinker(settings: linkageSettings).link(records(wrongFirst ? wrong + child : child + wrong))
        let w = wrongFirst ? 0 : 3
        let others = (0..<4).filter { $0 != w }
        #expect(others.allSatisfy { result.cluster[$0] == result.cluster[others[0]] }, "the child's own rows stay together")
        #expect(result.cluster[w] != result.cluster[others[0]], "the wrongly keyed row is not joined to the child")
        #expect(result.stats.idConflicts[partnerRule] == 1)
        #expect(result.review.count == 1)
        #expect(result.review.first.map { Int($0.rule) } == partnerRule)
        #expect(result.review.first.map { Set([$0.a, $0.b]).contains(Int32(w)) } == true)
        #expect(reviewReason(result.review[0], linkageSettings).hasPrefix("same id, different child?"))
    }

    /// The same child with a typo in the forename and one digit of the dob
    /// is still joined on the shared id.
    @Test func aSharedIdWithTyposStillJoins() {
        let result = PersonLinker(settings: linkageSettings).link(records([
            ("OLIVIA", "PATEL", "2013-05-17", "NP-7", partnerRule), ("OLVIA", "PATEL", "2013-05-27", "NP-7", partnerRule),
        ]))
        #expect(result.cluster[0] == result.cluster[1])
        #expect(result.review.isEmpty)
    }

    /// A valid NHS number is trusted through more disagreement than a
    /// partner's own id: a new surname and another dob, same forename.
    @Test func anNHSNumberIsTrustedFurtherThanAPartnersId() {
        let changed: [(String, String, String)] = [("MAYA", "HILL", "2012-01-04"), ("MAYA", "OKAFOR", "2014-08-21")]
        let byNHS = PersonLinker(settings: linkageSettings).link(records(changed.map { ($0.0, $0.1, $0.2, "9434765919", nhsRule) }))
        let byOwnId = PersonLinker(settings: linkageSettings).link(records(changed.map { ($0.0, $0.1, $0.2, "LL-300001", partnerRule) }))
        #expect(byNHS.cluster[0] == byNHS.cluster[1])
        #expect(byOwnId.cluster[0] != byOwnId.cluster[1])
    }

    /// A rule without `contradictedBelow` trusts its value alone, as before.
    @Test func aRuleWithoutALimitTrustsTheIdAlone() {
        var settings = linkageSettings
        for r in settings.deterministic.indices { settings.deterministic[r].contradictedBelow = nil }
        let result = PersonLinker(settings: settings).link(records([
            ("OLIVIA", "PATEL", "2013-05-17", "NP-1", partnerRule), ("JACK", "MORRIS", "2009-11-02", "NP-1", partnerRule),
        ]))
        #expect(result.cluster[0] == result.cluster[1])
    }

    /// A limit that is not a number stops the settings at its line.
    @Test func aLimitThatIsNotANumberIsRefusedAtItsLine() throws {
        let path = tempDir() + "/linkage.yaml"
        let text = try String(contentsOfFile: packageRoot + "/Pipelines/linkage.yaml", encoding: .utf8)
            .replacingOccurrences(of: "contradictedBelow: -4", with: "contradictedBelow: .nan")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(".nan") }! + 1
        #expect(throws: PipelineError.self) { try LinkageSettings.load(path: path, name: "linkage.yaml") }
        do { _ = try LinkageSettings.load(path: path, name: "linkage.yaml") } catch {
            #expect(error.description.contains("linkage.yaml:\(line)"), "\(error.description)")
            #expect(error.description.contains("contradictedBelow"))
        }
    }
}
