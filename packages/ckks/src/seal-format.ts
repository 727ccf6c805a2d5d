/**
 * SEAL 4.1's binary serialization, read and written in pure TS (no node-seal).
 *
 * Every SEAL object is `SEALHeader ‖ members`, all integers little-endian:
 *
 *   SEALHeader (16 bytes): u16 magic 0xA15E · u8 header size 0x10 · u8 version major (4) ·
 *   u8 version minor (1) · u8 compr_mode (0 none, 1 zlib, 2 zstd) · u16 reserved (0) ·
 *   u64 size = total bytes of the object including this header (compressed size if compressed).
 *
 * With zlib/zstd everything after the header is one compressed stream (zlib: RFC 1950, as
 * written by deflateInit) of the uncompressed members. Nested objects inside the members are
 * themselves full SEAL objects with their own header, always with compr_mode none.
 *
 *   DynArray<u64>:   header · u64 count · count × u64
 *   Ciphertext:      parms_id (4 × u64 = 32 bytes) · u8 is_ntt_form · u64 size ·
 *                    u64 poly_modulus_degree · u64 coeff_modulus_size · f64 scale ·
 *                    u64 correction_factor (only when version major is 4) ·
 *                    DynArray data (size × coeff_modulus_size × N coefficients, polynomial-major,
 *                    then modulus-major: data[(p · L + j) · N + i])
 *   seeded Ciphertext (SEAL's `*Serializable` forms of symmetric encryption and keys): size = 2,
 *                    the DynArray holds only c0 (L × N coefficients), followed by a nested
 *                    UniformRandomGeneratorInfo: header · u8 prng_type (1 blake2xb, 2 shake256) ·
 *                    64 seed bytes. The reader recognises it by the DynArray count being N·L.
 *                    (In memory SEAL marks it with c1[0] = 0xFFFFFFFFFFFFFFFF followed by the saved
 *                    UniformRandomGeneratorInfo; see seal-prng.ts for how c1 is re-expanded.)
 *   Plaintext:       parms_id · u64 coeff_count · f64 scale · DynArray data (coeff_count values);
 *                    NTT form is parms_id ≠ 0
 *   PublicKey:       exactly a Ciphertext (at the key level, NTT form, size 2)
 *   SecretKey:       exactly a Plaintext (at the key level, NTT form)
 *   KSwitchKeys (RelinKeys, GaloisKeys): parms_id · u64 dim1 · dim1 × (u64 dim2 · dim2 × PublicKey)
 *
 * parms_id = BLAKE2b-256 over the u64 LE words [scheme (CKKS = 2), N, q_0 … q_{k-1},
 * plain modulus (0 for CKKS)], stored as the 32 digest bytes.
 *
 * Decoding bounds every count by the bytes that remain before allocating, and reports any
 * problem as CkksError MALFORMED with the field at fault (or UNSUPPORTED_COMPRESSION /
 * UNSUPPORTED_VERSION).
 *
 * The codec lives in seal-format/: layout.ts (constants and shapes), bytes.ts (reader and
 * writer), read.ts, write.ts and parms-id.ts; this module is its public face.
 */
export {
  SEAL_MAGIC,
  SEAL_HEADER_SIZE,
  SEAL_VERSION,
  type ComprMode,
  type SealVersion,
  type SealHeader,
  type SeedPrngType,
  AES256CTR_PRNG_BYTE,
  type SealSeed,
  type SealCiphertext,
  type SealPlaintext,
  type SealKSwitchKeys,
  type ParseOptions,
} from './seal-format/layout.js';
export {
  readSealHeader,
  parseCiphertext,
  type SealCiphertextView,
  parseCiphertextView,
  parsePlaintext,
  parsePublicKey,
  parseSecretKey,
  parseKSwitchKeys,
} from './seal-format/read.js';
export { writeCiphertext, ciphertextParts, writePublicKey, writePlaintext, writeSecretKey, writeKSwitchKeys } from './seal-format/write.js';
export {
  type SchemeName,
  computeParmsId,
  type ChainLevel,
  parmsIdChain,
  parmsIdToHex,
  parmsIdFromWords,
  checkCiphertextAgainst,
} from './seal-format/parms-id.js';
