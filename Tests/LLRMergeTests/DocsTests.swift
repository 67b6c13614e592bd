import LLRCore
import LLRValidation
import LLRDocs
import LLRTestSupport
import Testing

@Suite("docs/contract")
struct DocsTests {
    /// The committed reference pages are what Pipelines/ gives today: change
    /// Pipelines/, run `make docs`, commit both.
    @Test func theCommittedPagesAreUpToDate() throws {
        let stale = try ContractDocs.write(try ContractDocs.render(contract), to: packageRoot + "/docs/contract", checkOnly: true)
        #expect(stale.isEmpty, "out of date: \(stale.joined(separator: ", ")); run make docs")
    }

    /// The check sees a change: a page rendered from an edited contract differs.
    @Test func aChangedContractMakesThePagesStale() throws {
        let dir = try editedPipelines("partners.yaml") { $0.replacingOccurrences(of: "name: Barnardo's", with: "name: Barnardo's Leicester") }
        let edited = try Pipelines.load(from: dir)
        let stale = try ContractDocs.write(try ContractDocs.render(edited), to: packageRoot + "/docs/contract", checkOnly: true)
        #expect(stale == ["partners.md"])
    }
}
