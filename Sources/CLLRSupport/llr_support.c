#define _GNU_SOURCE
#include "llr_support.h"
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>
#include <fcntl.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Byte by byte, for lines with spaces next to a comma or a line end. */
static long split_scalar(const unsigned char *line, long len, unsigned char *out, int *starts, long max_cells) {
    long w = 0, kept = 0, cells = 0;
    int begun = 0;
    starts[0] = 0;
    for (long i = 0; i < len; i++) {
        unsigned char b = line[i];
        if (b == ',') {
            if (cells + 2 > max_cells) return -1;
            w = kept;
            out[w++] = ',';
            kept = w;
            starts[++cells] = (int)w;
            begun = 0;
        } else if (b == ' ' || b == '\t') {
            if (begun) out[w++] = b;
        } else if (b == '"' || b == '\r') {
            return -1;
        } else {
            out[w++] = b;
            kept = w;
            begun = 1;
        }
    }
    if (cells == 0 && !begun) return 0;
    w = kept;
    out[w++] = ',';
    starts[++cells] = (int)w;
    return cells;
}

long llr_split_plain_line(const unsigned char *line, long len, unsigned char *out, int *starts, long max_cells) {
#if defined(__SSE2__)
    /* Sixteen bytes at a time: the line is copied whole (its commas become
       the separators) and the cells start after each comma, unless a space
       or tab touches a comma or a line end, which only the byte loop trims. */
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
    const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    long cells = 0, i = 0;
    unsigned before = 1; /* the byte before this block ends a cell (line start or comma) */
    int any = 0;
    starts[0] = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(line + i));
        unsigned stop = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, cr)));
        if (stop) return -1;
        unsigned c = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma));
        unsigned s = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab)));
        if (s) {
            unsigned after = (i + 16 >= len || line[i + 16] == ',') ? 1u : 0u;
            unsigned edges = (c << 1) | before | (c >> 1) | (after << 15);
            if (s & edges) return split_scalar(line, len, out, starts, max_cells);
        }
        if ((~(c | s)) & 0xFFFFu) any = 1;
        _mm_storeu_si128((__m128i *)(out + i), v);
        while (c) {
            if (cells + 2 > max_cells) return -1;
            starts[++cells] = (int)(i + __builtin_ctz(c) + 1);
            c &= c - 1;
        }
        before = (line[i + 15] == ',') ? 1u : 0u;
    }
    for (; i < len; i++) {
        unsigned char b = line[i];
        if (b == '"' || b == '\r') return -1;
        if (b == ' ' || b == '\t') {
            if (before || i + 1 == len || line[i + 1] == ',') return split_scalar(line, len, out, starts, max_cells);
        } else if (b != ',') {
            any = 1;
        }
        out[i] = b;
        if (b == ',') {
            if (cells + 2 > max_cells) return -1;
            starts[++cells] = (int)(i + 1);
        }
        before = (b == ',') ? 1u : 0u;
    }
    if (cells == 0 && !any) return split_scalar(line, len, out, starts, max_cells);
    out[len] = ',';
    starts[++cells] = (int)(len + 1);
    return cells;
#else
    return split_scalar(line, len, out, starts, max_cells);
#endif
}

int llr_sync_filesystem(int fd) {
#if defined(__linux__)
    return syncfs(fd);
#else
    (void)fd;
    sync();
    return 0;
#endif
}

void llr_start_writeback(int fd) {
#if defined(__linux__)
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
#endif
}

int llr_keep_freed_memory(void) {
#if defined(__GLIBC__)
    /* Blocks up to 256 MB from the heap, not each its own mapping that
       free() unmaps; the heap's top trimmed only past 1 GB. */
    return mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024) && mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#else
    return 0;
#endif
}
