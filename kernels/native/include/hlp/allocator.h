/*
 * @hlp/kernels C ABI: the memory pool and plain malloc behind one interface.
 */
#ifndef HLP_ALLOCATOR_H
#define HLP_ALLOCATOR_H

#include "hlp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- memory: a pool and plain malloc behind one interface ---------------- */
typedef enum hlp_allocator_kind { HLP_ALLOCATOR_MALLOC = 0, HLP_ALLOCATOR_POOL = 1 } hlp_allocator_kind;

typedef struct hlp_allocator hlp_allocator;

typedef struct hlp_allocator_stats {
  uint64_t allocations; /* calls to hlp_alloc that succeeded */
  uint64_t frees;
  uint64_t hits;           /* served from a cache without asking the system */
  uint64_t misses;         /* needed a fresh block from the system */
  uint64_t bytes_in_use;   /* bytes handed out and not yet freed (rounded to size class) */
  uint64_t bytes_reserved; /* bytes held from the system, in use or cached */
  uint64_t peak_bytes_in_use;
  uint64_t huge_page_blocks; /* blocks for which huge pages were requested */
} hlp_allocator_stats;

hlp_status hlp_allocator_create(hlp_allocator_kind kind, hlp_allocator **out);
/* Releases every cached block; blocks still in use are leaked to the system, never reused. */
void hlp_allocator_destroy(hlp_allocator *allocator);
/* 64-byte aligned; NULL and *out untouched on failure. */
hlp_status hlp_alloc(hlp_allocator *allocator, size_t bytes, void **out);
/* `bytes` must be the size given to hlp_alloc. */
hlp_status hlp_free(hlp_allocator *allocator, void *block, size_t bytes);
hlp_status hlp_allocator_get_stats(const hlp_allocator *allocator, hlp_allocator_stats *out);
/*
 * Deterministic allocation churn for benchmarks: `rounds` rounds, each allocating
 * `live` blocks with sizes cycling through `sizes`, touching each, then freeing them.
 */
hlp_status hlp_allocator_churn(hlp_allocator *allocator, const size_t *sizes, uint32_t size_count, uint32_t live,
                               uint32_t rounds);

#ifdef __cplusplus
}
#endif

#endif /* HLP_ALLOCATOR_H */
