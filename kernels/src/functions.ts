/** The addon's free functions (native/binding/functions.cpp): CPU features, variants, number theory, worker priority, SEAL's SHAKE256 stream. */
import { native, type Variant, type VariantInfo } from './addon.js';
import { KernelError, guarded } from './errors.js';

export function cpuFeatures(): string[] {
  return guarded(() => native().cpuFeatures().split(',').filter(Boolean));
}

export function variants(): VariantInfo[] {
  return guarded(() => native().variants());
}

export function availableVariants(): Variant[] {
  return variants()
    .filter((v) => v.available)
    .map((v) => v.name);
}

/** The variant used when none is named: best detected, or HLP_KERNEL when it names an available one. */
export function defaultVariant(): Variant {
  return guarded(() => native().defaultVariant());
}

export function isPrime(q: bigint): boolean {
  return guarded(() => native().isPrime(q));
}

/** `count` primes of exactly `bits` bits with q ≡ 1 (mod 2n), largest first. */
export function generateNttPrimes(bits: number, n: number, count = 1): bigint[] {
  return guarded(() => Array.from(native().generateNttPrimes(bits, n, count)));
}

/** Smallest primitive `order`-th root of unity mod q (order a power of two). */
export function minimalPrimitiveRoot(q: bigint, order: bigint | number): bigint {
  return guarded(() => native().minimalPrimitiveRoot(q, BigInt(order)));
}

export function mulModBarrett(a: bigint, b: bigint, q: bigint): bigint {
  return guarded(() => native().mulModBarrett(a, b, q));
}

export function mulModShoup(a: bigint, w: bigint, q: bigint): bigint {
  return guarded(() => native().mulModShoup(a, w, q));
}

export function powMod(base: bigint, exponent: bigint, q: bigint): bigint {
  return guarded(() => native().powMod(base, exponent, q));
}

export function invMod(a: bigint, q: bigint): bigint {
  return guarded(() => native().invMod(a, q));
}

/** Niceness a service may give the pool threads running this addon's batch work (0: as the process). */
export const MAX_WORKER_NICE = 19;

/**
 * Lowers the scheduling priority (raises the niceness, 0–19) of the libuv pool threads that
 * run this addon's batch work (encryption, decryption, transforms), from their next piece of
 * work on, so that the event loop wins when they compete for a core: batch crypto is
 * throughput work, the loop answers every client. Linux only; elsewhere a no-op. A thread
 * never lowers its niceness again (that needs a privilege). Returns the value now in force.
 */
export function setWorkerNice(nice: number): number {
  if (!Number.isInteger(nice) || nice < 0 || nice > MAX_WORKER_NICE) {
    throw new KernelError('INVALID_ARGUMENT', `worker niceness must be an integer in [0, ${MAX_WORKER_NICE}], got ${String(nice)}`);
  }
  return guarded(() => native().setWorkerNice(nice));
}

/** Bytes of one block of SEAL's SHAKE256 stream, and of the seed it expands. */
export const SHAKE_BLOCK_BYTES = 4096;
export const SHAKE_SEED_BYTES = 64;

/**
 * Fills `out` with the stream SEAL 4.1's SHAKE256 PRNG gives for `seed` (64 bytes): block c is
 * the first 4096 bytes of SHAKE256(seed ‖ c as 8 little-endian bytes), c = `firstBlock`, … in
 * turn, the last block cut where `out` ends. Natively, 8 (AVX-512) or 4 (AVX2) blocks hashed at
 * once; `variant` picks one for comparisons (default: the best this CPU has). Returns `out`.
 */
export function shake256Blocks(seed: Uint8Array, out: Uint8Array, options: { firstBlock?: number; variant?: Variant } = {}): Uint8Array {
  const firstBlock = options.firstBlock ?? 0;
  if (!Number.isInteger(firstBlock) || firstBlock < 0 || firstBlock > 0xffffffff) {
    throw new KernelError('INVALID_ARGUMENT', `firstBlock must be an integer in [0, 2^32), got ${String(firstBlock)}`);
  }
  return guarded(() => native().shake256Blocks(seed, firstBlock, out, options.variant));
}

/**
 * Fills `out` with the AES-256-CTR keystream of `seed` (64 bytes: a 32-byte key, then the
 * initial 128-bit big-endian counter; the last 16 bytes are not read), the bytes OpenSSL's
 * aes-256-ctr gives for that key and IV over zeros: the project's own seeded format (PRNG byte
 * 0x80). VAES where the CPU has it, else AES-NI, else portable code; `variant` picks one for
 * comparisons (default: the best this CPU has). Returns `out`.
 */
export function aes256ctrStream(seed: Uint8Array, out: Uint8Array, options: { variant?: Variant } = {}): Uint8Array {
  return guarded(() => native().aes256ctrStream(seed, out, options.variant));
}

/**
 * The same for SEAL 4.1's BLAKE2Xb PRNG (SEAL's default, node-seal's): block c is BLAKE2Xb with
 * 4096 bytes of output, input c as 8 little-endian bytes and key `seed` (64 bytes). A block's
 * 64-byte output nodes are independent: AVX-512 hashes 8 at once, other CPUs one; `variant` picks
 * one for comparisons (default: the best this CPU has). Returns `out`.
 */
export function blake2xbBlocks(seed: Uint8Array, out: Uint8Array, options: { firstBlock?: number; variant?: Variant } = {}): Uint8Array {
  const firstBlock = options.firstBlock ?? 0;
  if (!Number.isInteger(firstBlock) || firstBlock < 0 || firstBlock > 0xffffffff) {
    throw new KernelError('INVALID_ARGUMENT', `firstBlock must be an integer in [0, 2^32), got ${String(firstBlock)}`);
  }
  return guarded(() => native().blake2xbBlocks(seed, firstBlock, out, options.variant));
}
