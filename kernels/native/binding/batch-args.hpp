// The arguments of the batch calls that may run on the libuv pool: plain pointers into
// arrays that the caller keeps alive until the call is done. A batch public-key
// encryption is read the same way by CkksCore and CudaEncryptor (whose results are the
// same, bit for bit).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hlp/kernels.h"

namespace hlp_binding {

struct EncryptBatch {
  bool encode = false;
  const uint64_t *plains = nullptr;  // encrypt: count plaintexts back to back; null encrypts zeros
  std::size_t plain_words = 0;
  const double *values = nullptr;  // encode: count * values_per_plain reals
  std::size_t values_per_plain = 0;
  double scale = 0;
  uint32_t count = 0;
  uint32_t level = 0;  // CkksCore only: a CudaEncryptor has its level from creation
  const uint8_t *rand = nullptr;
  std::size_t rand_bytes = 0;
  uint64_t *out = nullptr;
  std::size_t out_words = 0;
  uint32_t flags = 0;
};

// Reads, from info[first] on,
//   encrypt: (plains | null, count, [level,] randomness, flags)
//   encode:  (values, valuesPerPlain, count, scale, [level,] randomness, flags)
// and returns the index after flags. `keep` gains the arrays read, which an async call
// must hold until it settles. `what` names the call in the length error.
std::size_t read_encrypt_batch(const Napi::CallbackInfo &info, std::size_t first, bool encode, bool with_level,
                               const char *what, EncryptBatch &batch, std::vector<Napi::Value> &keep);

// A batch public-key encryption by CkksCore, with a key given per call.
struct CkksEncryptArgs {
  const uint64_t *key = nullptr;
  std::size_t key_words = 0;
  EncryptBatch b;

  hlp_status Run(const hlp_ckks_context *ctx) const;
};

// A batch's encoding and seeded secret-key encryption (hlp_ckks_encode_encrypt_seeded).
struct CkksSeededArgs {
  const uint64_t *key = nullptr;
  std::size_t key_words = 0;
  const double *values = nullptr;
  std::size_t values_per_plain = 0;
  uint32_t count = 0;
  double scale = 0;
  uint32_t level = 0;
  const uint8_t *seeds = nullptr;
  std::size_t seeds_bytes = 0;
  const uint8_t *noise = nullptr;
  std::size_t noise_bytes = 0;
  uint64_t *out = nullptr;
  std::size_t out_words = 0;
  uint32_t flags = 0;

  hlp_status Run(const hlp_ckks_context *ctx) const;
};

// Reads (sk, values, valuesPerPlain, count, scale, level, seeds, noise, flags) from info[0] on
// into `a` (all but out) and returns the index after flags; `keep` as in read_encrypt_batch.
std::size_t read_seeded_batch(const Napi::CallbackInfo &info, CkksSeededArgs &a, std::vector<Napi::Value> &keep);

// A batch's decryption and decoding (hlp_ckks_decrypt_decode).
struct CkksDecryptDecodeArgs {
  const uint64_t *key = nullptr;
  std::size_t key_words = 0;
  const uint64_t *cts = nullptr;
  std::size_t ct_words = 0;
  uint32_t count = 0;
  uint32_t size = 0;
  uint32_t level = 0;
  double scale = 0;
  double *out = nullptr;
  std::size_t out_count = 0;
  std::size_t per = 0;
  uint32_t flags = 0;
  // When not empty, ciphertext i is read from views[i] (its bytes where they arrived, at any
  // alignment; ct_words words each) instead of from cts: gathered in Run, on the worker
  // thread, 16 at a time, so that the event loop never copies a batch and no batch-sized
  // buffer exists.
  std::vector<const uint8_t *> views;

  hlp_status Run(const hlp_ckks_context *ctx) const;
};

// Throws unless 1 <= count <= 2^20. The C ABI checks it too; checked first so that no
// oversized result is allocated for a call that must fail.
void check_batch_count(Napi::Env env, uint32_t count, const char *what);

}  // namespace hlp_binding
