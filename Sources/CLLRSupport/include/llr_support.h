#ifndef LLR_SUPPORT_H
#define LLR_SUPPORT_H

/* Asks the CPU to start loading a cache line that will be read soon: the
   row loop prefetches its hash-table slot before the cell checks so the
   memory latency overlaps with useful work. Swift has no prefetch intrinsic. */
static inline void llr_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 1);
}

/* Makes glibc's malloc keep freed memory for the next allocation rather
   than hand it back to the kernel: a stage that reads file after file then
   reuses one file's buffers and hash tables for the next instead of taking
   fresh pages, each zeroed by the kernel on first touch. For validation,
   whose memory stays small; returns 0 where it cannot be set. */
int llr_keep_freed_memory(void);

/* Splits one line of a return that holds no quote and no carriage return
   into cells exactly as libcsv does (cells end at commas; spaces and tabs
   around a cell are dropped, inside it kept): the cells are copied to `out`,
   each followed by one separator byte, and starts[k] is where cell k begins
   (cell k ends one byte before starts[k + 1]). Returns the number of cells,
   0 for a blank line (nothing but spaces and tabs), or -1 when the line needs
   libcsv (a quote or carriage return) or has more than max_cells cells.
   `out` must hold len + 1 bytes and `starts` max_cells + 1 entries. */
long llr_split_plain_line(const unsigned char *line, long len, unsigned char *out, int *starts, long max_cells);

/* Writes every dirty page and inode of the filesystem holding the open file
   `fd` to disk and waits (Linux syncfs; a whole sync elsewhere): one wait for
   a run's hundreds of outputs instead of an fsync for each. 0 on success. */
int llr_sync_filesystem(int fd);

/* Starts writing the file's dirty pages to disk without waiting (Linux
   sync_file_range; nothing elsewhere), so a later sync has less to wait for. */
void llr_start_writeback(int fd);

#endif
