#ifndef LLR_SUPPORT_H
#define LLR_SUPPORT_H

/* Asks the CPU to start loading a cache line that will be read soon: the
   row loop prefetches its hash-table slot before the cell checks so the
   memory latency overlaps with useful work. Swift has no prefetch intrinsic. */
static inline void llr_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 1);
}

#endif
