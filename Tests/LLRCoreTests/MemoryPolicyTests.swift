import Testing
@testable import LLRCore

@Suite("Memory policy of validation")
struct MemoryPolicyTests {
    /// Validation asks glibc to keep freed memory for the next
    /// file; on Linux that setting must take (a wrong feature test in the C
    /// shim once compiled it out silently).
    @Test func freedMemoryIsKeptOnLinux() {
        #if os(Linux)
        #expect(keepFreedMemoryForReuse())
        #endif
    }
}
