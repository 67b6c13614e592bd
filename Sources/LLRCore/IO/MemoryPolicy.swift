import CLLRSupport

/// For a stage that streams file after file in little memory (validation):
/// freed buffers and hash tables are kept for the next file instead of going
/// back to the kernel and coming again as fresh zeroed pages. `llr-validate`
/// on one core at 1M rows: page faults 9.6K -> 2.1K, 0.674 -> 0.648 s (40
/// runs of each in turns). Not for the merge, whose large tables
/// would then stay mapped after they are freed, nor normalisation, which it
/// did not make faster (2.76 -> 2.83 s, noise).
///
/// False where the C library offers no such setting.
@discardableResult
public func keepFreedMemoryForReuse() -> Bool {
    llr_keep_freed_memory() != 0
}
