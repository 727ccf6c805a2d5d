// Size-class geometry of the pooled allocator (pool.cpp), exposed for tests and for
// callers that want to know how much a request really costs. The allocator itself is
// reached only through the hlp_allocator_* C ABI in kernels.h.
//
// Size classes: 64-byte steps up to 256 B (64, 128, 192, 256), then four classes per
// power of two, 2^k * {1.25, 1.5, 1.75, 2}, up to 256 MiB. Four steps per doubling bound
// the rounding waste at 25% (plain powers of two would waste up to 50%, which matters
// for the multi-MiB RNS buffers the kernels use), and every class is a multiple of 64 so
// each block stays 64-byte aligned. 84 classes in all; classes of 2 MiB and more are
// mmap'ed 2 MiB-aligned with MADV_HUGEPAGE, smaller ones come from aligned_alloc.
// Requests above 256 MiB bypass the classes: one mmap per block, page-rounded, unmapped
// on free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hlp::pool {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kPageSize = 4096;
constexpr std::size_t kMinClassSize = 64;
constexpr std::size_t kMaxClassSize = std::size_t{256} << 20;
// Blocks of at least this size are mmap'ed, 2 MiB aligned, and advised MADV_HUGEPAGE.
constexpr std::size_t kHugePageSize = std::size_t{2} << 20;
// Larger requests fail with HLP_E_OUT_OF_MEMORY (alloc) or HLP_E_INVALID_ARGUMENT (free).
constexpr std::size_t kMaxRequest = std::size_t{1} << 40;
constexpr unsigned kClassCount = 84;
// Per-thread cache bound: at most this many bytes and kMaxThreadSlots blocks per class
// (at least one block). Overflow spills to the allocator's shared list for the class.
constexpr std::size_t kThreadCacheClassBytes = std::size_t{4} << 20;
constexpr unsigned kMaxThreadSlots = 64;

// Index of the smallest class holding `bytes`; bytes in [1, kMaxClassSize].
constexpr unsigned class_index(std::size_t bytes) {
  if (bytes <= 256) return static_cast<unsigned>((bytes + 63) / 64) - 1;
  // 2^k < bytes <= 2^(k+1), k >= 8; four steps of 2^(k-2) inside the octave.
  unsigned k = 0;
  for (std::size_t v = bytes - 1; v > 1; v >>= 1) ++k;
  const std::size_t base = std::size_t{1} << k;
  const std::size_t step = base >> 2;
  const std::size_t sub = (bytes - base + step - 1) / step;  // 1..4
  return 4 + (k - 8) * 4 + static_cast<unsigned>(sub) - 1;
}

constexpr std::size_t class_size(unsigned index) {
  if (index < 4) return std::size_t{64} * (index + 1);
  const unsigned k = 8 + (index - 4) / 4;
  const std::size_t sub = (index - 4) % 4 + 1;
  return (std::size_t{1} << k) + sub * (std::size_t{1} << (k - 2));
}

constexpr unsigned thread_cache_capacity(unsigned index) {
  const std::size_t fit = kThreadCacheClassBytes / class_size(index);
  return fit < 1 ? 1u : fit > kMaxThreadSlots ? kMaxThreadSlots : static_cast<unsigned>(fit);
}

static_assert(class_size(0) == kMinClassSize, "first class");
static_assert(class_size(kClassCount - 1) == kMaxClassSize, "last class");
static_assert(class_index(kMaxClassSize) == kClassCount - 1, "class count");
static_assert(class_index(257) == 4 && class_size(4) == 320, "octave start");
static_assert(class_index(512) == 7 && class_index(513) == 8, "octave end");
static_assert(class_size(class_index(kHugePageSize)) == kHugePageSize, "2 MiB is a class");

}  // namespace hlp::pool
