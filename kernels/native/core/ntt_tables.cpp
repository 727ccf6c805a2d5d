#include "ntt_tables.hpp"

namespace hlp {

bool NttTables::init(std::size_t degree, u64 q) {
  if (!is_power_of_two(degree) || degree < 2) return false;
  if (q < 3 || (q - 1) % (2 * degree) != 0 || !is_prime(q)) return false;
  n = degree;
  log_n = log2_exact(degree);
  modulus = Modulus(q);
  root = minimal_primitive_root(2 * degree, modulus);
  if (root == 0) return false;
  const u64 inv_root = inv_mod_prime(root, modulus);

  fwd.assign(n, 0);
  fwd_shoup.assign(n, 0);
  inv.assign(n, 0);
  inv_shoup.assign(n, 0);
  fwd_shoup52.assign(n, 0);
  inv_shoup52.assign(n, 0);

  // powers[k] = psi^k for k < n, then scatter into bit-reversed slots.
  u64 power = 1;
  u64 inv_power = 1;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t slot = static_cast<std::size_t>(reverse_bits(k, log_n));
    fwd[slot] = power;
    inv[slot] = inv_power;
    power = mul_mod_barrett(power, root, modulus);
    inv_power = mul_mod_barrett(inv_power, inv_root, modulus);
  }
  const bool fits52 = q < (u64{1} << 52);
  for (std::size_t i = 0; i < n; ++i) {
    fwd_shoup[i] = shoup_precompute(fwd[i], q);
    inv_shoup[i] = shoup_precompute(inv[i], q);
    if (fits52) {
      fwd_shoup52[i] = static_cast<u64>((static_cast<u128>(fwd[i]) << 52) / q);
      inv_shoup52[i] = static_cast<u64>((static_cast<u128>(inv[i]) << 52) / q);
    }
  }
  inv_n = inv_mod_prime(static_cast<u64>(n), modulus);
  inv_n_shoup = shoup_precompute(inv_n, q);
  inv_n_shoup52 = fits52 ? static_cast<u64>((static_cast<u128>(inv_n) << 52) / q) : 0;
  return true;
}

}  // namespace hlp
