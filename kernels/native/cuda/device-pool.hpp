// Best-fit block pool over any raw allocator, used for CUDA device memory
// (cudaMalloc) and pinned host staging (cudaHostAlloc). Plain C++ with no CUDA types,
// so its bookkeeping is unit-tested on machines without a GPU (tests/kernels/cuda-loader-tests.cpp).
//
// Design: every request is rounded up to 256 bytes (the alignment CUDA guarantees and
// the pool checks). Free blocks sit in a multimap keyed by size; a request takes the
// smallest free block that is large enough and wastes at most 1/8 of it (best fit with
// a slack bound), otherwise asks the allocator for a fresh block of exactly the rounded
// size. Live blocks are keyed by address, so nothing stores an index into a container
// that later shuffles (the flaw of a swap_remove free list). If the allocator fails,
// the pool releases every cached block and tries once more.
//
// Statistics: bytes_in_use counts the rounded requested bytes of live blocks,
// bytes_reserved the full size of every block held from the allocator (live or cached),
// so bytes_in_use / bytes_reserved is the memory efficiency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

namespace hlp::cuda {

struct PoolStats {
  std::uint64_t allocations = 0;
  std::uint64_t frees = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t bytes_in_use = 0;
  std::uint64_t bytes_reserved = 0;
  std::uint64_t peak_bytes_in_use = 0;
  std::uint64_t peak_bytes_reserved = 0;
};

// Allocator: bool allocate(void **out, std::size_t bytes); void release(void *p, std::size_t bytes).
template <typename Allocator>
class BlockPool {
 public:
  static constexpr std::size_t kAlignment = 256;

  explicit BlockPool(Allocator allocator = Allocator()) : allocator_(allocator) {}
  BlockPool(const BlockPool &) = delete;
  BlockPool &operator=(const BlockPool &) = delete;
  // Cached blocks go back to the allocator; live blocks are left alone (never reused).
  ~BlockPool() { trim(); }

  static std::size_t round_up(std::size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

  // nullptr on failure (zero bytes, allocator failure, misaligned block).
  void *acquire(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    const std::size_t need = round_up(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    void *p = nullptr;
    std::size_t size = 0;
    auto it = free_.lower_bound(need);
    if (it != free_.end() && it->first - need <= it->first / 8) {
      p = it->second;
      size = it->first;
      free_.erase(it);
      ++stats_.hits;
    } else {
      if (!fresh(need, &p)) {
        release_cached();
        if (!fresh(need, &p)) return nullptr;
      }
      size = need;
      ++stats_.misses;
    }
    live_.emplace(p, Live{size, need});
    ++stats_.allocations;
    stats_.bytes_in_use += need;
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
    return p;
  }

  // false when p is not a live block of this pool.
  bool release(void *p) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(p);
    if (it == live_.end()) return false;
    stats_.bytes_in_use -= it->second.requested;
    ++stats_.frees;
    free_.emplace(it->second.size, p);
    live_.erase(it);
    return true;
  }

  // Returns every cached (free) block to the allocator.
  void trim() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached();
  }

  // Starts a new measurement window: peaks restart from the current values.
  void reset_peaks() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_bytes_in_use = stats_.bytes_in_use;
    stats_.peak_bytes_reserved = stats_.bytes_reserved;
  }

  PoolStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }
  std::size_t cached_blocks() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.size();
  }

 private:
  struct Live {
    std::size_t size;       // block size held from the allocator
    std::size_t requested;  // rounded request
  };

  bool fresh(std::size_t bytes, void **out) {
    void *p = nullptr;
    if (!allocator_.allocate(&p, bytes) || p == nullptr) return false;
    if (reinterpret_cast<std::uintptr_t>(p) % kAlignment != 0) {
      allocator_.release(p, bytes);
      return false;
    }
    stats_.bytes_reserved += bytes;
    if (stats_.bytes_reserved > stats_.peak_bytes_reserved) stats_.peak_bytes_reserved = stats_.bytes_reserved;
    *out = p;
    return true;
  }

  void release_cached() {
    for (auto &entry : free_) {
      allocator_.release(entry.second, entry.first);
      stats_.bytes_reserved -= entry.first;
    }
    free_.clear();
  }

  Allocator allocator_;
  mutable std::mutex mutex_;
  std::multimap<std::size_t, void *> free_;
  std::unordered_map<void *, Live> live_;
  PoolStats stats_;
};

}  // namespace hlp::cuda
