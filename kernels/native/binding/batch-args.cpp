#include "batch-args.hpp"

#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "convert.hpp"

namespace hlp_binding {

std::size_t read_encrypt_batch(const Napi::CallbackInfo &info, std::size_t first, bool encode, bool with_level,
                               const char *what, EncryptBatch &a, std::vector<Napi::Value> &keep) {
  std::size_t arg = first;
  a.encode = encode;
  if (encode) {
    Napi::TypedArrayOf<double> values = to_f64_array(info[arg++], "values");
    a.values = values.Data();
    keep.push_back(values);
    a.values_per_plain = to_u32(info[arg++], "valuesPerPlain");
    a.count = to_u32(info[arg++], "count");
    if (static_cast<std::size_t>(a.count) * a.values_per_plain != values.ElementLength()) {
      throw_status(info.Env(), HLP_E_LENGTH_MISMATCH, std::string(what) + ": values.length != count * valuesPerPlain");
    }
    a.scale = to_f64(info[arg++], "scale");
  } else {
    if (given(info[arg])) {
      Napi::TypedArrayOf<uint64_t> plains = to_u64_array(info[arg], "plains");
      a.plains = plains.Data();
      a.plain_words = plains.ElementLength();
      keep.push_back(plains);
    }
    ++arg;
    a.count = to_u32(info[arg++], "count");
  }
  if (with_level) a.level = to_u32(info[arg++], "level");
  Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[arg++], "randomness");
  a.rand = rand.Data();
  a.rand_bytes = rand.ElementLength();
  keep.push_back(rand);
  a.flags = to_u32(info[arg++], "flags");
  return arg;
}

hlp_status CkksEncryptArgs::Run(const hlp_ckks_context *ctx) const {
  if (!b.encode) {
    return hlp_ckks_encrypt_public(ctx, key, key_words, b.plains, b.plain_words, b.count, b.level, b.rand, b.rand_bytes,
                                   b.out, b.out_words, b.flags);
  }
  return hlp_ckks_encode_encrypt_public(ctx, key, key_words, b.values, b.values_per_plain, b.count, b.scale, b.level,
                                        b.rand, b.rand_bytes, b.out, b.out_words, b.flags);
}

std::size_t read_seeded_batch(const Napi::CallbackInfo &info, CkksSeededArgs &a, std::vector<Napi::Value> &keep) {
  Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
  a.key = sk.Data();
  a.key_words = sk.ElementLength();
  Napi::TypedArrayOf<double> values = to_f64_array(info[1], "values");
  a.values = values.Data();
  a.values_per_plain = to_u32(info[2], "valuesPerPlain");
  a.count = to_u32(info[3], "count");
  a.scale = to_f64(info[4], "scale");
  a.level = to_u32(info[5], "level");
  Napi::TypedArrayOf<uint8_t> seeds = to_u8_array(info[6], "seeds");
  a.seeds = seeds.Data();
  a.seeds_bytes = seeds.ElementLength();
  Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[7], "noiseRandomness");
  a.noise = noise.Data();
  a.noise_bytes = noise.ElementLength();
  a.flags = to_u32(info[8], "flags");
  if (static_cast<std::size_t>(a.count) * a.values_per_plain != values.ElementLength()) {
    throw_status(info.Env(), HLP_E_LENGTH_MISMATCH, "encodeEncryptSeeded: values.length != count * valuesPerPlain");
  }
  keep.push_back(sk);
  keep.push_back(values);
  keep.push_back(seeds);
  keep.push_back(noise);
  return 9;
}

hlp_status CkksSeededArgs::Run(const hlp_ckks_context *ctx) const {
  return hlp_ckks_encode_encrypt_seeded(ctx, key, key_words, values, values_per_plain, count, scale, level, seeds,
                                        seeds_bytes, noise, noise_bytes, out, out_words, flags);
}

hlp_status CkksDecryptDecodeArgs::Run(const hlp_ckks_context *ctx) const {
  if (views.empty()) {
    return hlp_ckks_decrypt_decode(ctx, key, key_words, cts, ct_words, count, size, level, scale, out, out_count, per,
                                   flags);
  }
  try {
    // Gathered a few at a time: each call wipes its secret scratch (about a megabyte) once, so
    // one call per ciphertext spent more on the wipe than on the decryption; a chunk of
    // kGather bounds the gathered copy at a few megabytes however large the batch.
    constexpr uint32_t kGather = 16;
    // Ciphertexts only (public), so neither zeroed first nor wiped after. Kept by each pool
    // thread for its next batch: a fresh few megabytes per call cost a page fault per 4 KiB
    // as they were copied into, more than the copy itself.
    thread_local std::vector<uint64_t> chunk;
    const std::size_t need = static_cast<std::size_t>(count < kGather ? count : kGather) * ct_words;
    if (chunk.size() < need) chunk.resize(need);
    for (uint32_t first = 0; first < count; first += kGather) {
      const uint32_t take = count - first < kGather ? count - first : kGather;
      for (uint32_t i = 0; i < take; ++i) {
        std::memcpy(chunk.data() + static_cast<std::size_t>(i) * ct_words, views[first + i],
                    ct_words * sizeof(uint64_t));
      }
      const hlp_status st = hlp_ckks_decrypt_decode(ctx, key, key_words, chunk.data(), take * ct_words, take, size,
                                                    level, scale, out + static_cast<std::size_t>(first) * per,
                                                    static_cast<std::size_t>(take) * per, per, flags);
      if (st != HLP_OK) return st;
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

void check_batch_count(Napi::Env env, uint32_t count, const char *what) {
  if (count == 0 || count > (1u << 20))
    throw_status(env, HLP_E_INVALID_ARGUMENT, std::string(what) + ": count out of range");
}

}  // namespace hlp_binding
