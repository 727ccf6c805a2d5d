// libhlp_cuda's chunked pipeline: kStreams streams, each with its own device buffers and
// pinned staging, so host-to-device copies, kernels and device-to-host copies of
// successive chunks overlap. Every entry point that takes host data runs through it.
#include <algorithm>
#include <cstring>
#include <memory>

#include "cuda-internal.cuh"

namespace hlp::cuda::detail {
namespace {

struct Slot {
  cudaStream_t stream = nullptr;
  cudaEvent_t done = nullptr;
};

Slot *g_slots = nullptr;

int slots(Slot **out) {
  if (g_slots == nullptr) {
    auto *s = new Slot[kStreams];
    for (int i = 0; i < kStreams; ++i) {
      cudaError_t err = cudaStreamCreateWithFlags(&s[i].stream, cudaStreamNonBlocking);
      if (err == cudaSuccess) err = cudaEventCreateWithFlags(&s[i].done, cudaEventDisableTiming);
      if (err != cudaSuccess) {
        // g_slots stays null and the next call starts over, so nothing would free these.
        for (int j = 0; j <= i; ++j) {
          if (s[j].done != nullptr) cudaEventDestroy(s[j].done);
          if (s[j].stream != nullptr) cudaStreamDestroy(s[j].stream);
        }
        delete[] s;
        return fail("cudaStreamCreate", err);
      }
    }
    g_slots = s;
  }
  *out = g_slots;
  return HLP_CUDA_OK;
}

bool is_pinned(const void *p) {
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

}  // namespace

int pipeline(std::size_t items, std::size_t chunk, const std::vector<HostIn> &ins, const std::vector<HostOut> &outs,
             const std::vector<std::size_t> &scratch_item_bytes, const Launcher &launch) {
  Slot *sl = nullptr;
  int rc = slots(&sl);
  if (rc != HLP_CUDA_OK) return rc;
  const int used = static_cast<int>(std::min<std::size_t>(kStreams, (items + chunk - 1) / chunk));
  const std::size_t ni = ins.size(), no = outs.size(), ns = scratch_item_bytes.size();
  std::vector<bool> in_pinned(ni), out_pinned(no);
  for (std::size_t k = 0; k < ni; ++k) in_pinned[k] = ins[k].host == nullptr || is_pinned(ins[k].host);
  for (std::size_t k = 0; k < no; ++k) out_pinned[k] = is_pinned(outs[k].host);

  // Per slot: device in/out/scratch buffers and staging, all released at the end.
  std::vector<std::unique_ptr<DeviceBuffer>> buffers;
  std::vector<void *> staging;
  auto release_staging = [&] {
    for (void *p : staging) pinned_pool().release(p);
  };
  std::vector<std::vector<word *>> d_in(used, std::vector<word *>(ni)), d_out(used, std::vector<word *>(no)),
      d_scratch(used, std::vector<word *>(ns));
  std::vector<std::vector<void *>> s_in(used, std::vector<void *>(ni, nullptr)),
      s_out(used, std::vector<void *>(no, nullptr));
  auto device_buffer = [&](std::size_t bytes, word **out) {
    buffers.push_back(std::make_unique<DeviceBuffer>());
    if (!buffers.back()->get(bytes)) return false;
    *out = buffers.back()->words();
    return true;
  };
  auto staging_buffer = [&](std::size_t bytes, void **out) {
    void *p = pinned_pool().acquire(bytes);
    if (p == nullptr) return false;
    staging.push_back(p);
    *out = p;
    return true;
  };
  for (int s = 0; s < used; ++s) {
    bool ok = true;
    for (std::size_t k = 0; k < ni && ok; ++k) {
      ok = device_buffer(ins[k].item_bytes * chunk, &d_in[s][k]);
      if (ok && !in_pinned[k]) ok = staging_buffer(ins[k].item_bytes * chunk, &s_in[s][k]);
    }
    for (std::size_t k = 0; k < no && ok; ++k) {
      if (outs[k].alias_in >= 0) d_out[s][k] = d_in[s][outs[k].alias_in];
      else ok = device_buffer(outs[k].item_bytes * chunk, &d_out[s][k]);
      if (ok && !out_pinned[k]) ok = staging_buffer(outs[k].item_bytes * chunk, &s_out[s][k]);
    }
    for (std::size_t k = 0; k < ns && ok; ++k) ok = device_buffer(scratch_item_bytes[k] * chunk, &d_scratch[s][k]);
    if (!ok) {
      release_staging();
      return fail("memory pool: cannot reserve buffers", HLP_CUDA_OUT_OF_MEMORY);
    }
  }

  struct Pending {
    bool active = false;
    std::size_t first = 0, count = 0;
  };
  std::vector<Pending> pending(used);
  cudaError_t err = cudaSuccess;
  auto finish = [&](int s) {
    Pending &p = pending[s];
    if (!p.active) return cudaSuccess;
    p.active = false;
    cudaError_t e = cudaEventSynchronize(sl[s].done);
    if (e != cudaSuccess) return e;
    for (std::size_t k = 0; k < no; ++k) {
      if (out_pinned[k]) continue;
      std::memcpy(static_cast<char *>(outs[k].host) + p.first * outs[k].item_bytes, s_out[s][k],
                  p.count * outs[k].item_bytes);
    }
    return cudaSuccess;
  };

  std::size_t c = 0;
  for (std::size_t first = 0; first < items && err == cudaSuccess; first += chunk, ++c) {
    const int s = static_cast<int>(c % used);
    const std::size_t count = std::min(chunk, items - first);
    err = finish(s);
    if (err != cudaSuccess) break;
    cudaStream_t st = sl[s].stream;
    for (std::size_t k = 0; k < ni && err == cudaSuccess; ++k) {
      if (ins[k].host == nullptr) continue;
      const char *src = static_cast<const char *>(ins[k].host) + first * ins[k].item_bytes;
      const std::size_t bytes = count * ins[k].item_bytes;
      if (!in_pinned[k]) {
        std::memcpy(s_in[s][k], src, bytes);
        src = static_cast<const char *>(s_in[s][k]);
      }
      err = cudaMemcpyAsync(d_in[s][k], src, bytes, cudaMemcpyHostToDevice, st);
    }
    if (err != cudaSuccess) break;
    launch(st, count, d_in[s].data(), d_out[s].data(), d_scratch[s].data());
    err = cudaGetLastError();
    for (std::size_t k = 0; k < no && err == cudaSuccess; ++k) {
      void *dst = out_pinned[k] ? static_cast<char *>(outs[k].host) + first * outs[k].item_bytes : s_out[s][k];
      err = cudaMemcpyAsync(dst, d_out[s][k], count * outs[k].item_bytes, cudaMemcpyDeviceToHost, st);
    }
    if (err == cudaSuccess) err = cudaEventRecord(sl[s].done, st);
    if (err == cudaSuccess) pending[s] = Pending{true, first, count};
  }
  // Drain in submission order (all slots, also after an error so no copy is in flight).
  for (int k = 0; k < used; ++k) {
    const int s = static_cast<int>((c + k) % used);
    const cudaError_t e = finish(s);
    if (err == cudaSuccess) err = e;
  }
  if (err != cudaSuccess) {
    for (int s = 0; s < used; ++s) cudaStreamSynchronize(sl[s].stream);
  }
  release_staging();
  return err == cudaSuccess ? HLP_CUDA_OK : fail("pipeline", err);
}

std::size_t chunk_items(std::size_t items, std::size_t words_per_item) {
  std::size_t chunk = (items + 2 * kStreams - 1) / (2 * kStreams);  // a few chunks per stream
  const std::size_t cap = std::max<std::size_t>(1, kChunkWordBudget / std::max<std::size_t>(1, words_per_item));
  chunk = std::min(std::max<std::size_t>(chunk, 1), cap);
  return chunk;
}

}  // namespace hlp::cuda::detail
