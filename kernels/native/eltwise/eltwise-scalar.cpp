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

void eltwise_mul_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  for (std::size_t i = 0; i < n; ++i) r[i] = mul_mod_barrett(a[i], b[i], m);
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
