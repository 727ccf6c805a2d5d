// Memory for the kernels: a size-class pool with per-thread caches, and plain
// aligned_alloc behind the same interface so benchmarks can compare the two.
//
// Pool design (geometry in pool.hpp):
//  - Each allocator instance has, per size class, a mutex-protected shared free list.
//  - Each thread that touches an allocator gets a ThreadCache for it: a bounded LIFO
//    array of free blocks per class. alloc/free hit this array without any lock; an
//    empty array refills half its capacity from the shared list, a full one spills its
//    coldest half there.
//  - A thread finds its cache through a one-entry thread_local memo keyed by the
//    allocator's id (64-bit, never reused), then through a thread_local list of its
//    caches. Ids rather than addresses, so a new allocator at a freed address never
//    matches stale state.
//  - Lifetimes: a ThreadCache is listed both in its allocator and in its thread, and
//    every change of ownership happens under one process-wide lifecycle mutex (taken
//    only on a thread's first use of an allocator, at thread exit, and at destroy).
//    Destroy releases every block of every thread's cache and orphans the cache
//    (owner = null, arrays freed); the thread deletes the small husk later (when it
//    next registers with any allocator, or at exit). Thread exit hands the cached
//    blocks of still-live allocators back to their shared lists.
//  - Statistics are relaxed atomics, one cache line each; allocations is hits + misses.
#include "pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "../include/hlp/kernels.h"

namespace {

using hlp::pool::class_index;
using hlp::pool::class_size;
using hlp::pool::kAlignment;
using hlp::pool::kClassCount;
using hlp::pool::kHugePageSize;
using hlp::pool::kMaxClassSize;
using hlp::pool::kMaxRequest;
using hlp::pool::kMaxThreadSlots;
using hlp::pool::kPageSize;

constexpr std::size_t round_up(std::size_t value, std::size_t to) { return (value + to - 1) / to * to; }

struct alignas(64) Counter {
  std::atomic<std::uint64_t> value{0};
};

struct Stats {
  Counter frees, hits, misses, in_use, reserved, peak, huge;

  void add_in_use(std::uint64_t bytes) {
    const std::uint64_t now = in_use.value.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    std::uint64_t seen = peak.value.load(std::memory_order_relaxed);
    while (now > seen && !peak.value.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }
  void hit(std::uint64_t bytes) {
    hits.value.fetch_add(1, std::memory_order_relaxed);
    add_in_use(bytes);
  }
  void miss(std::uint64_t bytes, bool huge_page) {
    misses.value.fetch_add(1, std::memory_order_relaxed);
    reserved.value.fetch_add(bytes, std::memory_order_relaxed);
    if (huge_page) huge.value.fetch_add(1, std::memory_order_relaxed);
    add_in_use(bytes);
  }
  // False (and nothing changed) when fewer than `bytes` are in use: the free cannot match
  // an allocation, so the block is refused instead of corrupting the counters.
  bool release_in_use(std::uint64_t bytes) {
    std::uint64_t current = in_use.value.load(std::memory_order_relaxed);
    do {
      if (current < bytes) return false;
    } while (!in_use.value.compare_exchange_weak(current, current - bytes, std::memory_order_relaxed));
    frees.value.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void returned_to_system(std::uint64_t bytes) { reserved.value.fetch_sub(bytes, std::memory_order_relaxed); }
};

// Anonymous mapping of `bytes` (a page multiple) starting on a 2 MiB boundary, advised
// for transparent huge pages. The advice is a hint: failure (THP off) is ignored.
void *map_huge(std::size_t bytes) {
  const std::size_t span = bytes + kHugePageSize;
  void *raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = round_up(start, kHugePageSize);
  const std::size_t head = aligned - start;
  const std::size_t tail = span - head - bytes;
  if (head != 0) munmap(raw, head);
  if (tail != 0) munmap(reinterpret_cast<void *>(aligned + bytes), tail);
  void *block = reinterpret_cast<void *>(aligned);
#ifdef MADV_HUGEPAGE
  madvise(block, bytes, MADV_HUGEPAGE);
#endif
  return block;
}

}  // namespace

struct hlp_allocator {
  explicit hlp_allocator(hlp_allocator_kind k) : kind(k) {}
  virtual ~hlp_allocator() = default;
  hlp_allocator(const hlp_allocator &) = delete;
  hlp_allocator &operator=(const hlp_allocator &) = delete;

  virtual hlp_status allocate(std::size_t bytes, void **out) = 0;
  virtual hlp_status deallocate(void *block, std::size_t bytes) = 0;

  const hlp_allocator_kind kind;
  Stats stats;
};

namespace {

// ---- plain aligned_alloc ----------------------------------------------------------

struct MallocAllocator final : hlp_allocator {
  MallocAllocator() : hlp_allocator(HLP_ALLOCATOR_MALLOC) {}

  hlp_status allocate(std::size_t bytes, void **out) override {
    const std::size_t size = round_up(bytes, kAlignment);
    void *block = std::aligned_alloc(kAlignment, size);
    if (block == nullptr) return HLP_E_OUT_OF_MEMORY;
    stats.miss(size, false);
    *out = block;
    return HLP_OK;
  }

  hlp_status deallocate(void *block, std::size_t bytes) override {
    if (reinterpret_cast<std::uintptr_t>(block) % kAlignment != 0) return HLP_E_INVALID_ARGUMENT;
    const std::size_t size = round_up(bytes, kAlignment);
    if (!stats.release_in_use(size)) return HLP_E_INVALID_ARGUMENT;
    std::free(block);
    stats.returned_to_system(size);
    return HLP_OK;
  }
};

// ---- the pool -----------------------------------------------------------------------

struct PoolAllocator;

struct ClassCache {
  unsigned count = 0;
  void *slots[kMaxThreadSlots];
};

// One thread's cache for one allocator. `owner` and `classes` change only under
// lifecycle_mutex(); the owning thread reads `classes` without it, which is safe because
// they are only torn down by destroy, after which the thread never uses that id again.
struct ThreadCache {
  std::uint64_t id;
  PoolAllocator *owner;
  ClassCache *classes;
};

std::mutex &lifecycle_mutex() {
  static std::mutex mutex;  // constexpr-constructed, trivially destroyed on Linux
  return mutex;
}

std::atomic<std::uint64_t> g_next_id{1};

// Trivial thread_locals for the fast path (no TLS init guard).
thread_local std::uint64_t t_memo_id = 0;
thread_local ThreadCache *t_memo = nullptr;
thread_local bool t_exiting = false;

struct ThreadState {
  std::vector<ThreadCache *> caches;
  ~ThreadState();
};

ThreadState &thread_state() {
  thread_local ThreadState state;
  return state;
}

struct alignas(64) SharedList {
  std::mutex mutex;
  std::vector<void *> blocks;
};

struct PoolAllocator final : hlp_allocator {
  PoolAllocator() : hlp_allocator(HLP_ALLOCATOR_POOL), id(g_next_id.fetch_add(1)) {}

  ~PoolAllocator() override {
    std::lock_guard<std::mutex> lock(lifecycle_mutex());
    for (ThreadCache *cache : thread_caches) {
      release_cache_blocks(cache);
      delete[] cache->classes;
      cache->classes = nullptr;
      cache->owner = nullptr;  // the thread deletes the husk
    }
    thread_caches.clear();
    for (unsigned c = 0; c < kClassCount; ++c) {
      for (void *block : shared[c].blocks) release_block(c, block);
      shared[c].blocks.clear();
    }
  }

  static bool is_huge_class(unsigned c) { return class_size(c) >= kHugePageSize; }

  void *system_block(unsigned c) {
    const std::size_t size = class_size(c);
    void *block = is_huge_class(c) ? map_huge(size) : std::aligned_alloc(kAlignment, size);
    if (block != nullptr) stats.miss(size, is_huge_class(c));
    return block;
  }

  void release_block(unsigned c, void *block) {
    const std::size_t size = class_size(c);
    if (is_huge_class(c)) {
      munmap(block, size);
    } else {
      std::free(block);
    }
    stats.returned_to_system(size);
  }

  void release_cache_blocks(ThreadCache *cache) {
    if (cache->classes == nullptr) return;
    for (unsigned c = 0; c < kClassCount; ++c) {
      ClassCache &cc = cache->classes[c];
      for (unsigned k = 0; k < cc.count; ++k) release_block(c, cc.slots[k]);
      cc.count = 0;
    }
  }

  // Moves blocks into the shared list of class c; a block the list cannot take (no memory
  // for the vector) goes back to the system.
  void push_shared(unsigned c, void *const *blocks, unsigned count) {
    SharedList &list = shared[c];
    std::lock_guard<std::mutex> lock(list.mutex);
    for (unsigned k = 0; k < count; ++k) {
      try {
        list.blocks.push_back(blocks[k]);
      } catch (...) {
        release_block(c, blocks[k]);
      }
    }
  }

  // Called at thread exit, under lifecycle_mutex().
  void absorb(ThreadCache *cache) {
    if (cache->classes != nullptr) {
      for (unsigned c = 0; c < kClassCount; ++c) {
        ClassCache &cc = cache->classes[c];
        push_shared(c, cc.slots, cc.count);
        cc.count = 0;
      }
      delete[] cache->classes;
      cache->classes = nullptr;
    }
    thread_caches.erase(std::remove(thread_caches.begin(), thread_caches.end(), cache), thread_caches.end());
    cache->owner = nullptr;
  }

  // This thread's cache, creating it on first use; null when none can be had (thread
  // exiting, or no memory), in which case callers go straight to the shared lists.
  ThreadCache *thread_cache() {
    if (t_memo_id == id) return t_memo;
    if (t_exiting) return nullptr;
    ThreadState &state = thread_state();
    for (ThreadCache *cache : state.caches) {
      if (cache->id == id) {
        t_memo_id = id;
        t_memo = cache;
        return cache;
      }
    }
    std::lock_guard<std::mutex> lock(lifecycle_mutex());
    // Drop husks left by destroyed allocators so the list stays short.
    auto dead = std::remove_if(state.caches.begin(), state.caches.end(), [](ThreadCache *cache) {
      if (cache->owner != nullptr) return false;
      if (t_memo == cache) {
        t_memo = nullptr;
        t_memo_id = 0;
      }
      delete cache;
      return true;
    });
    state.caches.erase(dead, state.caches.end());
    ThreadCache *cache = nullptr;
    try {
      state.caches.reserve(state.caches.size() + 1);
      thread_caches.reserve(thread_caches.size() + 1);
      cache = new ThreadCache{id, this, nullptr};
      cache->classes = new ClassCache[kClassCount];
    } catch (...) {
      delete cache;
      return nullptr;
    }
    state.caches.push_back(cache);
    thread_caches.push_back(cache);
    t_memo_id = id;
    t_memo = cache;
    return cache;
  }

  hlp_status allocate(std::size_t bytes, void **out) override {
    if (bytes > kMaxClassSize) return allocate_large(bytes, out);
    const unsigned c = class_index(bytes);
    const std::size_t size = class_size(c);
    ThreadCache *cache = thread_cache();
    if (cache != nullptr) {
      ClassCache &cc = cache->classes[c];
      if (cc.count == 0) {
        // Refill half the capacity from the shared list.
        const unsigned want = std::max(1u, hlp::pool::thread_cache_capacity(c) / 2);
        SharedList &list = shared[c];
        std::lock_guard<std::mutex> lock(list.mutex);
        while (cc.count < want && !list.blocks.empty()) {
          cc.slots[cc.count++] = list.blocks.back();
          list.blocks.pop_back();
        }
      }
      if (cc.count != 0) {
        *out = cc.slots[--cc.count];
        stats.hit(size);
        return HLP_OK;
      }
    } else {
      SharedList &list = shared[c];
      std::unique_lock<std::mutex> lock(list.mutex);
      if (!list.blocks.empty()) {
        *out = list.blocks.back();
        list.blocks.pop_back();
        lock.unlock();
        stats.hit(size);
        return HLP_OK;
      }
    }
    void *block = system_block(c);
    if (block == nullptr) return HLP_E_OUT_OF_MEMORY;
    *out = block;
    return HLP_OK;
  }

  hlp_status deallocate(void *block, std::size_t bytes) override {
    if (bytes > kMaxClassSize) return deallocate_large(block, bytes);
    const unsigned c = class_index(bytes);
    const std::size_t size = class_size(c);
    const std::size_t alignment = is_huge_class(c) ? kHugePageSize : kAlignment;
    if (reinterpret_cast<std::uintptr_t>(block) % alignment != 0) return HLP_E_INVALID_ARGUMENT;
    if (!stats.release_in_use(size)) return HLP_E_INVALID_ARGUMENT;
    ThreadCache *cache = thread_cache();
    if (cache == nullptr) {
      push_shared(c, &block, 1);
      return HLP_OK;
    }
    ClassCache &cc = cache->classes[c];
    const unsigned capacity = hlp::pool::thread_cache_capacity(c);
    if (cc.count >= capacity) {
      // Spill the coldest half (bottom of the LIFO) to the shared list.
      const unsigned spill = std::max(1u, capacity / 2);
      push_shared(c, cc.slots, spill);
      std::copy(cc.slots + spill, cc.slots + cc.count, cc.slots);
      cc.count -= spill;
    }
    cc.slots[cc.count++] = block;
    return HLP_OK;
  }

  // Above the largest class: one huge-page mapping per block, unmapped on free.
  hlp_status allocate_large(std::size_t bytes, void **out) {
    const std::size_t size = round_up(bytes, kPageSize);
    void *block = map_huge(size);
    if (block == nullptr) return HLP_E_OUT_OF_MEMORY;
    stats.miss(size, true);
    *out = block;
    return HLP_OK;
  }

  hlp_status deallocate_large(void *block, std::size_t bytes) {
    if (reinterpret_cast<std::uintptr_t>(block) % kHugePageSize != 0) return HLP_E_INVALID_ARGUMENT;
    const std::size_t size = round_up(bytes, kPageSize);
    if (!stats.release_in_use(size)) return HLP_E_INVALID_ARGUMENT;
    munmap(block, size);
    stats.returned_to_system(size);
    return HLP_OK;
  }

  const std::uint64_t id;
  SharedList shared[kClassCount];
  std::vector<ThreadCache *> thread_caches;  // guarded by lifecycle_mutex()
};

ThreadState::~ThreadState() {
  t_exiting = true;
  t_memo_id = 0;
  t_memo = nullptr;
  std::lock_guard<std::mutex> lock(lifecycle_mutex());
  for (ThreadCache *cache : caches) {
    if (cache->owner != nullptr) cache->owner->absorb(cache);
    delete cache;
  }
  caches.clear();
}

}  // namespace

extern "C" {

hlp_status hlp_allocator_create(hlp_allocator_kind kind, hlp_allocator **out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  try {
    switch (kind) {
      case HLP_ALLOCATOR_MALLOC: *out = new MallocAllocator(); return HLP_OK;
      case HLP_ALLOCATOR_POOL: *out = new PoolAllocator(); return HLP_OK;
    }
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  } catch (...) {
    return HLP_E_INTERNAL;
  }
  return HLP_E_INVALID_ARGUMENT;
}

void hlp_allocator_destroy(hlp_allocator *allocator) {
  try {
    delete allocator;
  } catch (...) {
  }
}

hlp_status hlp_alloc(hlp_allocator *allocator, std::size_t bytes, void **out) {
  if (allocator == nullptr || out == nullptr || bytes == 0) return HLP_E_INVALID_ARGUMENT;
  if (bytes > kMaxRequest) return HLP_E_OUT_OF_MEMORY;
  try {
    return allocator->allocate(bytes, out);
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  } catch (...) {
    return HLP_E_INTERNAL;
  }
}

hlp_status hlp_free(hlp_allocator *allocator, void *block, std::size_t bytes) {
  if (allocator == nullptr || block == nullptr || bytes == 0 || bytes > kMaxRequest) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    return allocator->deallocate(block, bytes);
  } catch (...) {
    return HLP_E_INTERNAL;
  }
}

hlp_status hlp_allocator_get_stats(const hlp_allocator *allocator, hlp_allocator_stats *out) {
  if (allocator == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  const Stats &s = allocator->stats;
  const auto load = [](const Counter &c) { return c.value.load(std::memory_order_relaxed); };
  hlp_allocator_stats r{};
  r.hits = load(s.hits);
  r.misses = load(s.misses);
  r.allocations = r.hits + r.misses;
  r.frees = load(s.frees);
  r.bytes_in_use = load(s.in_use);
  r.bytes_reserved = load(s.reserved);
  r.peak_bytes_in_use = load(s.peak);
  r.huge_page_blocks = load(s.huge);
  *out = r;
  return HLP_OK;
}

hlp_status hlp_allocator_churn(hlp_allocator *allocator, const std::size_t *sizes, std::uint32_t size_count,
                               std::uint32_t live, std::uint32_t rounds) {
  if (allocator == nullptr || sizes == nullptr || size_count == 0) return HLP_E_INVALID_ARGUMENT;
  for (std::uint32_t s = 0; s < size_count; ++s) {
    if (sizes[s] == 0) return HLP_E_INVALID_ARGUMENT;
    if (sizes[s] > kMaxRequest) return HLP_E_OUT_OF_MEMORY;
  }
  std::vector<void *> held;
  try {
    held.assign(live, nullptr);
  } catch (...) {
    return HLP_E_OUT_OF_MEMORY;
  }
  for (std::uint32_t r = 0; r < rounds; ++r) {
    for (std::uint32_t k = 0; k < live; ++k) {
      const std::size_t bytes = sizes[k % size_count];
      hlp_status status = hlp_alloc(allocator, bytes, &held[k]);
      if (status != HLP_OK) {
        for (std::uint32_t f = 0; f < k; ++f) hlp_free(allocator, held[f], sizes[f % size_count]);
        return status;
      }
      // Touch one byte per 4 KiB page so the system has to back the block.
      volatile unsigned char *p = static_cast<unsigned char *>(held[k]);
      for (std::size_t offset = 0; offset < bytes; offset += kPageSize) {
        p[offset] = static_cast<unsigned char>(offset >> 12);
      }
    }
    for (std::uint32_t k = 0; k < live; ++k) hlp_free(allocator, held[k], sizes[k % size_count]);
  }
  return HLP_OK;
}

}  // extern "C"
