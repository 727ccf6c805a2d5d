#include "../core/variants.hpp"

namespace hlp {

void eltwise_add_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  for (std::size_t i = 0; i < n; ++i) r[i] = add_mod(a[i], b[i], q);
}

void eltwise_sub_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  for (std::size_t i = 0; i < n; ++i) r[i] = sub_mod(a[i], b[i], q);
}

// Barrett for products (x = a b < q^2): the quotient from the top bits of x, c = floor(x / 2^s),
// times mu = floor(2^(s+64) / q), s = bits(q) - 1. Three multiplications an element against
// barrett_reduce_128's six (it takes any 128-bit x); the estimate is at most two short, so two
// masked subtractions finish it (no data-dependent branch). The same residues, bit for bit.
void eltwise_mul_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  if (q < 3 || q >= (u64{1} << 62) || (q & (q - 1)) == 0) {
    for (std::size_t i = 0; i < n; ++i) r[i] = mul_mod_barrett(a[i], b[i], m);
    return;
  }
  const unsigned s = static_cast<unsigned>(63 - __builtin_clzll(q));
  const u64 mu = static_cast<u64>((static_cast<u128>(1) << (s + 64)) / q);
  for (std::size_t i = 0; i < n; ++i) {
    const u128 x = static_cast<u128>(a[i]) * b[i];
    const u64 lo = static_cast<u64>(x), hi = static_cast<u64>(x >> 64);
    const u64 c = (hi << (64 - s)) | (lo >> s);
    r[i] = sub_if_at_least(sub_if_at_least(lo - mul_hi(c, mu) * q, q), q);
  }
}

const KernelOps &scalar_ops() {
  static const KernelOps ops{"scalar",
                             ntt_forward_scalar,
                             ntt_inverse_scalar,
                             eltwise_add_mod_scalar,
                             eltwise_sub_mod_scalar,
                             eltwise_mul_mod_scalar};
  return ops;
}

}  // namespace hlp
