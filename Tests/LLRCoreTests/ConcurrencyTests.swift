import Testing
@testable import LLRCore

@Suite("Work shared across Dispatch workers")
struct ConcurrencyTests {
    /// The merge hands files to the workers largest first (a big file taken
    /// last would keep one worker busy while the other waits), yet every
    /// later step reads the results in the inbox's order.
    @Test(arguments: [1, 2, 4])
    func largestFirstKeepsIndexOrder(jobs: Int) {
        let sizes = [5, 90, 12, 90, 0, 33, 7, 61]
        let taken = Locked<[Int]>([])
        let results = concurrentMapLargestFirst(sizes.count, jobs: jobs, size: { sizes[$0] }) { i -> String in
            if jobs == 1 { taken.value.append(i) }  // one worker: the order they are taken in
            return "item \(i)"
        }
        #expect(results == sizes.indices.map { "item \($0)" })
        if jobs == 1 {
            // Largest first; equal sizes in index order.
            #expect(taken.value == [1, 3, 7, 5, 2, 6, 0, 4])
        }
    }
}
