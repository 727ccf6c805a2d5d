/**
 * The one CKKS API that both backends implement: `seal` (node-seal, WebAssembly) and `native`
 * (the NTT kernels). Ciphertexts serialize to SEAL 4.1's byte format in both, so a ciphertext
 * written by one loads in the other.
 *
 * Handles (ciphertexts, plaintexts) are owned by the backend that made them: pass them only
 * to that backend, `dispose()` them when done (the backend's `dispose()` frees whatever is
 * left). Operations never modify their inputs; each returns a new handle.
 */
import { CkksError } from './errors.js';
import type { CkksParams } from './params.js';

export type BackendName = 'seal' | 'native';

/** Key material, each exchanged as SEAL bytes (compression none). */
export type KeyKind = 'secret' | 'public' | 'relin' | 'galois';
export const KEY_KINDS: readonly KeyKind[] = ['secret', 'public', 'relin', 'galois'];

/** What ciphertexts and plaintexts have in common. */
export interface LevelInfo {
  /**
   * Data level: params.maxLevel for a fresh encryption, minus one per rescale / mod-switch;
   * 0 means only q0 is left. (= number of coefficient moduli − 1.)
   */
  readonly level: number;
  /** The CKKS scale (2^scaleBits when fresh; it changes with multiplication and rescaling). */
  readonly scale: number;
  /** SEAL's parms_id of the level, as 64 hex characters (the 32 serialized bytes). */
  readonly parmsId: string;
}

export interface CiphertextHandle extends LevelInfo {
  readonly backend: BackendName;
  /** Number of polynomials: 2, or 3 after a multiplication without relinearization. */
  readonly size: number;
  /** True when serialize() emits SEAL's seeded form (symmetric encryption: c1 replaced by a 64-byte seed). */
  readonly seeded: boolean;
  readonly disposed: boolean;
  /** SEAL Ciphertext bytes, compression none. */
  serialize(): Uint8Array;
  /**
   * The bytes of serialize() in pieces (concatenated, they are equal), which may view the
   * ciphertext's own memory instead of copying it: for writing to a socket as they are.
   */
  serializeParts(): readonly Uint8Array[];
  /**
   * serializeParts' pieces, lent: they may view the ciphertext's memory until this handle is
   * disposed, and that memory may then become another result. Dispose only once the pieces
   * have been used (written to a socket and its write finished).
   */
  lendParts(): readonly Uint8Array[];
  dispose(): void;
}

export interface PlaintextHandle extends LevelInfo {
  readonly backend: BackendName;
  readonly disposed: boolean;
  dispose(): void;
}

export interface EncodeOptions {
  /** Default: params.scale (2^scaleBits). */
  readonly scale?: number;
  /** Default: params.maxLevel. Encode at a lower level to combine with a rescaled ciphertext. */
  readonly level?: number;
  /**
   * The plaintext is a mask of matrix products (multiplyPlainAccumulateGroups): the native
   * backend keeps one whose slots repeat with period slots / R (R = 2, 4 or 8: one matrix tiled
   * over every block of the blocked layout) in 1/R of the memory, which its matrix products
   * read so, and hands other operations the whole plaintext, expanded anew for each (default
   * false). node-seal has no such form and ignores it.
   */
  readonly compact?: boolean;
}

export interface KeyGenOptions {
  /** Generate relinearization keys (default true). */
  readonly relin?: boolean;
  /** Rotation steps to generate Galois keys for (default none). Positive = left rotation. */
  readonly galoisSteps?: readonly number[];
}

export interface CkksBackend {
  readonly name: BackendName;
  readonly params: CkksParams;
  /** params.n / 2 */
  readonly slotCount: number;

  // -- keys -------------------------------------------------------------------------------
  hasKey(kind: KeyKind): boolean;
  /** Fresh secret and public key (+ relinearization keys, + Galois keys for the steps). */
  generateKeys(options?: KeyGenOptions): void;
  /** Galois keys for these rotation steps, from the secret key held (replaces any Galois keys). */
  generateGaloisKeys(steps: readonly number[]): void;
  /** SEAL bytes of a held key. @throws CkksError MISSING_KEY */
  exportKey(kind: KeyKind): Uint8Array;
  /** Load a key from SEAL bytes (must belong to these parameters). */
  importKey(kind: KeyKind, bytes: Uint8Array): void;

  // -- encoding and encryption ------------------------------------------------------------
  /** CKKS-encode up to slotCount real values (missing slots are 0). */
  encode(values: ArrayLike<number>, options?: EncodeOptions): PlaintextHandle;
  /** All slotCount slot values (real parts). */
  decode(plaintext: PlaintextHandle): Float64Array;
  /** Public-key encryption. */
  encrypt(plaintext: PlaintextHandle): CiphertextHandle;
  /** Secret-key encryption; the handle serializes to SEAL's seeded form (about half the bytes). */
  encryptSymmetric(plaintext: PlaintextHandle): CiphertextHandle;
  decrypt(ciphertext: CiphertextHandle): PlaintextHandle;

  // -- evaluation -------------------------------------------------------------------------
  add(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle;
  /**
   * a += b, in place: `a` keeps its handle, level, scale and size (at least b's). For sums over
   * many terms: add's fresh result per term is one more stream of memory (and a buffer) per
   * call. Refused with INVALID_ARGUMENT for a seeded `a` (fresh from encryptSymmetric: its
   * serialization is its seed) and, on the native backend, for an `a` whose serializeParts
   * views were handed out (they would change under their reader; lendParts' loan ends at dispose
   * and is the caller's to keep).
   */
  addInPlace(a: CiphertextHandle, b: CiphertextHandle): void;
  sub(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle;
  negate(a: CiphertextHandle): CiphertextHandle;
  addPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle;
  multiplyPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle;
  /**
   * Σ_t cts[t] · plains[t] over size-2 ciphertexts of one level, every product at the same
   * scale (the sum's): the inner loop of a diagonal-method matrix–vector product. The native
   * backend makes one pass over the operands and reduces each sum once; the seal backend
   * multiplies and adds term by term. Both give the same ciphertext.
   */
  multiplyPlainAccumulate(cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle;
  /**
   * One multiplyPlainAccumulate per row of `plains` over the same ciphertexts: result g is
   * Σ_t cts[t] · plains[g][t] over the terms whose plaintext is not null (every row needs one).
   * The giant-step sums of a BSGS matrix product over its shared baby steps; the native backend
   * takes the rows two at a time, reading each ciphertext word once for both.
   */
  multiplyPlainAccumulateGroups(cts: readonly CiphertextHandle[], plains: readonly (readonly (PlaintextHandle | null)[])[]): CiphertextHandle[];
  /** Ciphertext product (size grows to a.size + b.size − 1; relinearize afterwards). */
  multiply(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle;
  relinearize(a: CiphertextHandle): CiphertextHandle;
  /** Divide by the last prime: level − 1, scale / q_last. */
  rescaleToNext(a: CiphertextHandle): CiphertextHandle;
  /** Drop the last prime without changing the scale: level − 1. */
  modSwitchToNext(a: CiphertextHandle): CiphertextHandle;
  /** Rotate the slot vector left by `steps` (negative: right). Needs Galois keys. */
  rotate(a: CiphertextHandle, steps: number): CiphertextHandle;
  /**
   * `rotate` by each of `steps`, in order. The native backend shares one key-switch
   * decomposition among them (hoisting); the seal backend rotates one at a time.
   */
  rotateMany(a: CiphertextHandle, steps: readonly number[]): CiphertextHandle[];
  /**
   * Σ_i rotate(cts[i], steps[i]) over size-2 ciphertexts of one level and scale: the giant
   * steps of a BSGS matrix product. The native backend sums the key switches of the rotations
   * whose own Galois key is held and divides by the special prime once (the sum of the
   * rotations up to key-switching noise); the seal backend rotates and adds term by term.
   */
  rotateSum(cts: readonly CiphertextHandle[], steps: readonly number[]): CiphertextHandle;

  // -- serialization ----------------------------------------------------------------------
  /** Load SEAL Ciphertext bytes (full or seeded; compression none or zlib). */
  deserialize(bytes: Uint8Array): CiphertextHandle;

  /** Free every native/WASM object, including all handles still alive. Idempotent. */
  dispose(): void;
  readonly disposed: boolean;
}

/** Encode and encrypt in one step (public key, or secret key with `symmetric`). */
export function encryptValues(
  backend: CkksBackend,
  values: ArrayLike<number>,
  options: EncodeOptions & { readonly symmetric?: boolean } = {},
): CiphertextHandle {
  const pt = backend.encode(values, options);
  try {
    return options.symmetric ? backend.encryptSymmetric(pt) : backend.encrypt(pt);
  } finally {
    pt.dispose();
  }
}

/** Decrypt and decode in one step. */
export function decryptValues(backend: CkksBackend, ciphertext: CiphertextHandle): Float64Array {
  const pt = backend.decrypt(ciphertext);
  try {
    return backend.decode(pt);
  } finally {
    pt.dispose();
  }
}

/**
 * The operands of multiplyPlainAccumulate, checked the same way on every backend: at least
 * one term, one plaintext per ciphertext, size-2 ciphertexts and plaintexts all at one level,
 * and every product at the first one's scale (within SEAL's tolerance). Returns that scale.
 */
export function checkAccumulateTerms(cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): number {
  const first = cts[0];
  const firstPlain = plains[0];
  if (first === undefined || firstPlain === undefined || plains.length !== cts.length) {
    throw new CkksError(
      'INVALID_ARGUMENT',
      `multiplyPlainAccumulate takes one plaintext per ciphertext, at least one (got ${cts.length} and ${plains.length})`,
    );
  }
  const scale = first.scale * firstPlain.scale;
  cts.forEach((ct, t) => {
    const plain = plains[t]!;
    if (ct.size !== 2) throw new CkksError('INVALID_ARGUMENT', `multiplyPlainAccumulate: term ${t} has a size-${ct.size} ciphertext; relinearize first`);
    if (ct.level !== first.level || plain.level !== first.level) {
      throw new CkksError('LEVEL_MISMATCH', `multiplyPlainAccumulate: term ${t} is at levels ${ct.level}/${plain.level}, term 0 at ${first.level}`);
    }
    const product = ct.scale * plain.scale;
    if (Math.abs(product - scale) > ACCUMULATE_SCALE_TOLERANCE * Math.max(product, scale)) {
      throw new CkksError('SCALE_MISMATCH', `multiplyPlainAccumulate: term ${t}'s product has scale ${product}, term 0's ${scale}`);
    }
  });
  return scale;
}

/** Scales that agree to this relative tolerance are the same (as SEAL's are_close). */
const ACCUMULATE_SCALE_TOLERANCE = 1e-9;

/**
 * multiplyPlainAccumulateGroups's operands: a row of plaintexts (or null) per group, one per
 * ciphertext, each row with a term; returns each row's terms, as multiplyPlainAccumulate
 * takes them (checked by checkAccumulateTerms), and their product's scale.
 */
export function checkAccumulateGroups(
  cts: readonly CiphertextHandle[],
  plains: readonly (readonly (PlaintextHandle | null)[])[],
): { cts: CiphertextHandle[]; plains: PlaintextHandle[]; scale: number }[] {
  if (cts.length === 0 || plains.length === 0) {
    throw new CkksError(
      'INVALID_ARGUMENT',
      `multiplyPlainAccumulateGroups takes at least one ciphertext and one group (got ${cts.length} and ${plains.length})`,
    );
  }
  return plains.map((row, g) => {
    if (row.length !== cts.length) {
      throw new CkksError(
        'INVALID_ARGUMENT',
        `multiplyPlainAccumulateGroups: group ${g} has ${row.length} plaintexts for ${cts.length} ciphertexts (one each, or null)`,
      );
    }
    const terms = { cts: [] as CiphertextHandle[], plains: [] as PlaintextHandle[], scale: 0 };
    row.forEach((p, t) => {
      if (p === null) return;
      terms.cts.push(cts[t]!);
      terms.plains.push(p);
    });
    if (terms.cts.length === 0) throw new CkksError('INVALID_ARGUMENT', `multiplyPlainAccumulateGroups: group ${g} has no term`);
    try {
      terms.scale = checkAccumulateTerms(terms.cts, terms.plains);
    } catch (e) {
      if (e instanceof CkksError) throw new CkksError(e.code, `group ${g}: ${e.message}`);
      throw e;
    }
    return terms;
  });
}

/**
 * The operands of rotateSum, checked the same way on every backend: at least one term, one
 * step per ciphertext, size-2 ciphertexts at one level and one scale (within SEAL's tolerance).
 */
export function checkRotateSumTerms(cts: readonly CiphertextHandle[], steps: readonly number[]): void {
  const first = cts[0];
  if (first === undefined || steps.length !== cts.length) {
    throw new CkksError('INVALID_ARGUMENT', `rotateSum takes one step per ciphertext, at least one (got ${cts.length} and ${steps.length})`);
  }
  cts.forEach((ct, t) => {
    if (ct.size !== 2) throw new CkksError('INVALID_ARGUMENT', `rotateSum: term ${t} has a size-${ct.size} ciphertext; relinearize first`);
    if (ct.level !== first.level) throw new CkksError('LEVEL_MISMATCH', `rotateSum: term ${t} is at level ${ct.level}, term 0 at ${first.level}`);
    if (Math.abs(ct.scale - first.scale) > ACCUMULATE_SCALE_TOLERANCE * Math.max(ct.scale, first.scale)) {
      throw new CkksError('SCALE_MISMATCH', `rotateSum: term ${t} has scale ${ct.scale}, term 0 ${first.scale}`);
    }
  });
}

/** What both backends refuse to add to in place: an accumulator smaller than the sum, or a seeded one. */
export function checkAddInPlace(a: CiphertextHandle, b: CiphertextHandle): void {
  if (a.size < b.size) throw new CkksError('INVALID_ARGUMENT', `addInPlace: the sum has size ${b.size}, more than a's ${a.size}; use add`);
  if (a.seeded) throw new CkksError('INVALID_ARGUMENT', 'addInPlace: a is seeded (its serialization is its seed); use add');
}

/**
 * `sum` (consumed; null: nothing yet) plus rotate(cts[i], steps[i]) for each i of `indices`, a
 * rotation and an addition at a time: the seal backend's rotateSum, and the native one's for
 * the steps its fused call does not take. Intermediates are disposed, on failure too.
 */
export function addRotations(
  ops: Pick<CkksBackend, 'rotate' | 'add'>,
  sum: CiphertextHandle | null,
  cts: readonly CiphertextHandle[],
  steps: readonly number[],
  indices: readonly number[],
): CiphertextHandle | null {
  let acc = sum;
  try {
    for (const i of indices) {
      const term = ops.rotate(cts[i]!, steps[i]!);
      if (acc === null) {
        acc = term;
        continue;
      }
      try {
        const next = ops.add(acc, term);
        acc.dispose();
        acc = next;
      } finally {
        term.dispose();
      }
    }
    return acc;
  } catch (error) {
    acc?.dispose();
    throw error;
  }
}

/**
 * Mod-switch down to `level`. Returns the input itself when it is already there (do not
 * dispose it twice), otherwise a new handle.
 * @throws CkksError LEVEL_MISMATCH when the ciphertext is below `level`
 */
export function modSwitchToLevel(backend: CkksBackend, ciphertext: CiphertextHandle, level: number): CiphertextHandle {
  if (!Number.isInteger(level) || level < 0 || level > ciphertext.level) {
    throw new CkksError('LEVEL_MISMATCH', `cannot mod-switch a level-${ciphertext.level} ciphertext to level ${level}`);
  }
  let cur = ciphertext;
  while (cur.level > level) {
    const next = backend.modSwitchToNext(cur);
    if (cur !== ciphertext) cur.dispose();
    cur = next;
  }
  return cur;
}
