/**
 * The key-switching cases of the paired ckks suite: `ckks.relinearize`, `ckks.rotate`,
 * `ckks.mul_relin_rescale` and `ckks.rotate_hoisted` (per rotation, 8 a call), on the native
 * backend, with the names, labels and timed calls of `hlp bench ckks --quick` (ckks-kswitch.ts):
 * `ckks.rotate` cycles through steps 1…8, the keys of the hoisted batch. Each side makes a
 * backend of its own for them with a relinearization key and those 8 Galois keys, nothing more.
 *
 * As for the other CKKS operations (fresh-inputs.ts), the inputs (two fresh
 * ciphertexts, and the product that `ckks.relinearize` relinearizes) are made again before each
 * slice and the side's result pool is dropped, so that no run computes on one fixed set of buffers.
 * The keys a case reads move to fresh memory every few pairs for the same reason (KEY_MOVE_PAIRS
 * in fresh-inputs.ts).
 *
 * A side whose native backend has no native key switching (a checkout before it: its native
 * backend relinearized and rotated through node-seal) is not paired: the cases are left out with
 * a note, and the gate goes on with the others.
 */
import type { CiphertextHandle, CkksBackend, KeyGenOptions } from '@hlp/ckks';
import { ckksCaseLabels, createBackend, seededValues, trimResultPool, VALUES_SEED, type CkksHelpers } from '../bench/ckks.js';
import { kswitchCases, kswitchFunction, kswitchSteps, type KswitchCase } from '../bench/ckks-kswitch.js';
import type { Labels } from '@hlp/results';
import type { CkksBackendName, CkksPresetN } from '../options.js';
import type { PairCase, SideName } from './interleave.js';
import { freshEachSlice, movingKeys } from './fresh-inputs.js';
import type { Sides } from './pair-cases.js';

const SIDES: readonly SideName[] = ['baseline', 'current'];

/** The paired cases: the quick bench's (one hoisted batch, of 8). */
export const KSWITCH_PAIR_CASES: readonly KswitchCase[] = kswitchCases(true);
/**
 * Slices of a hoisted batch (8 rotations, ~4 ms a call here): the default 12 ms held 3 calls,
 * and one disturbed call moved a slice's median; its pair σ was 36–38 % in A/A gate runs.
 */
export const HOISTED_SLICE = { ms: 36, minCalls: 6 } as const;
/** The Galois steps they rotate by (1…8): the only Galois keys a side generates. */
export const KSWITCH_PAIR_STEPS: readonly number[] = kswitchSteps(true);

export interface KswitchPairOptions {
  readonly backendName: CkksBackendName;
  readonly n: CkksPresetN;
  readonly symmetricPrng: 'shake256' | 'aes256ctr';
  /** Whether a series is wanted (the gate's `--only`): no keys are made when none is. */
  readonly wanted?: (name: string, labels: Labels) => boolean;
}

/**
 * Whether a backend switches keys natively. The native backend got `keySwitchingMemory` with its
 * own key switching (commit 8323194); before, it relinearized and rotated through node-seal, and
 * pairing that against native key switching would time two different libraries.
 */
function switchesKeysNatively(backend: CkksBackend): boolean {
  return 'keySwitchingMemory' in backend;
}

/**
 * Moves the keys `c` reads to fresh memory (KEY_MOVE_PAIRS in fresh-inputs.ts): the Galois keys
 * are made again (~70 ms a side for 8 keys; their values change, which the fresh inputs that
 * follow are encrypted for), the relinearization key is exported and imported (~8 ms), both
 * through the backend API that a reference has too.
 */
function moveKeys(c: KswitchCase, backend: CkksBackend): void {
  if (c.name === 'ckks.rotate' || c.name === 'ckks.rotate_hoisted') backend.generateGaloisKeys(KSWITCH_PAIR_STEPS);
  else backend.importKey('relin', backend.exportKey('relin'));
}

/** One side's timed key-switching call on inputs made again before each of its slices (see the module comment). */
function freshInputsKswitch(
  c: KswitchCase,
  backend: CkksBackend,
  helpers: CkksHelpers,
  values: readonly [Float64Array, Float64Array],
  disposers: (() => void)[],
): { run: () => void; beforeSlice: () => void; perCall: number } {
  const make = (): { a: CiphertextHandle; b: CiphertextHandle; fn: ReturnType<typeof kswitchFunction> } => {
    trimResultPool(backend);
    const a = helpers.encryptValues(backend, values[0]);
    const b = helpers.encryptValues(backend, values[1]);
    return { a, b, fn: kswitchFunction(c, backend, a, b, KSWITCH_PAIR_STEPS) };
  };
  const free = (x: ReturnType<typeof make>): void => {
    x.fn.dispose();
    x.a.dispose();
    x.b.dispose();
  };
  const inputs = freshEachSlice(make(), true, make, free, disposers);
  const beforeSlice = movingKeys(() => moveKeys(c, backend), inputs.beforeSlice);
  return { run: () => inputs.current().fn.run(), beforeSlice, perCall: inputs.current().fn.perCall };
}

/**
 * A backend of each side with `keys` for the paired cases `names` (a key-switching workload), or
 * null with a note when a side's native backend has no native key switching.
 */
export async function keySwitchingBackends(
  sides: Sides,
  o: KswitchPairOptions,
  names: string,
  keys: KeyGenOptions,
  notes: string[],
  disposers: (() => void)[],
): Promise<Record<SideName, CkksBackend> | null> {
  const backends = {} as Record<SideName, CkksBackend>;
  for (const s of SIDES) {
    const mod = sides[s].ckks;
    const backend = await createBackend(o.backendName, mod.presetParams(o.n), mod, o.symmetricPrng, mod.createSealBackend);
    if (!switchesKeysNatively(backend)) {
      backend.dispose();
      notes.push(`${names} not paired at n = ${o.n}: the ${s === 'baseline' ? 'reference' : 'candidate'}'s native backend has no native key switching`);
      return null;
    }
    disposers.push(() => backend.dispose());
    backend.generateKeys(keys);
    backends[s] = backend;
  }
  return backends;
}

/** The key-switching cases of one (backend, n) on both sides, or none with a note (see the module comment). */
export async function kswitchPairCases(sides: Sides, o: KswitchPairOptions, notes: string[], disposers: (() => void)[]): Promise<PairCase[]> {
  const wanted = KSWITCH_PAIR_CASES.filter((c) => o.wanted?.(c.name, ckksCaseLabels(c, o.backendName, o.n)) ?? true);
  if (wanted.length === 0) return [];
  const names = [...new Set(wanted.map((c) => c.name))].join(', ');
  if (o.backendName !== 'native') {
    notes.push(`${names} paired on the native backend only, not on ${o.backendName} (node-seal on both sides)`);
    return [];
  }
  const backends = await keySwitchingBackends(sides, o, names, { relin: true, galoisSteps: KSWITCH_PAIR_STEPS }, notes, disposers);
  if (backends === null) return [];
  const slots = backends.current.slotCount;
  const values = [seededValues(slots), seededValues(slots, VALUES_SEED + 1)] as const;
  return wanted.map((c): PairCase => {
    const ops = Object.fromEntries(
      SIDES.map((s) => [s, freshInputsKswitch(c, backends[s], { encryptValues: sides[s].ckks.encryptValues }, values, disposers)]),
    ) as Record<SideName, ReturnType<typeof freshInputsKswitch>>;
    return {
      kind: 'timed',
      name: c.name,
      labels: ckksCaseLabels(c, o.backendName, o.n),
      unit: 'ns',
      run: { baseline: ops.baseline.run, current: ops.current.run },
      async: false,
      beforeSlice: { baseline: ops.baseline.beforeSlice, current: ops.current.beforeSlice },
      perCall: ops.current.perCall,
      ...(c.rotations === undefined ? {} : { slice: HOISTED_SLICE }),
    };
  });
}
