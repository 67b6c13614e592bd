import LLRCore
import LLRMeasures

extension MergeNight {
    /// Stage 5: the staged dataset replaces the last good one at once, then
    /// the ledger records the run. The normalised cache is on disk before
    /// the ledger counts its returns as processed.
    func commit(_ ledger: Ledger) throws(MergeFailure) {
        do { try OutputDurability.syncFileSystem(containing: cache) } catch { throw MergeFailure(error.description) }
        try staging.commit()
        removeTree(incoming)
        // After the dataset: a run killed between the two finds tonight's
        // figures unpublished and takes them as first published next night.
        do { try publishedMeasures.value.write(path: publishedMeasuresPath) } catch {
            throw MergeFailure("the dataset is in place but the published measures could not be kept in the state (the next night takes them as new): \(error)")
        }
        do {
            try ledger.record(run: result.run, started: result.startedAt, asOf: asOf.description, fingerprint: fingerprint,
                              filesNew: todo.count, entries: entries)
        } catch { throw MergeFailure("the dataset is in place but the ledger could not record the run (the next run repeats it): \(error.description)") }
        progress.finish()
    }
}
