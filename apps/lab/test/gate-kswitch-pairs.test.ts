import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CkksBackend } from '@hlp/ckks';
import { ADDON_PATH } from '@hlp/kernels';
import { findRepoRoot } from '@hlp/results';
import { measureInterleaved } from '../src/gate/interleave.js';
import { candidateSide, loadSide, type SideModules } from '../src/gate/pair-cases.js';
import { KEY_MOVE_PAIRS } from '../src/gate/fresh-inputs.js';
import { KSWITCH_PAIR_STEPS, kswitchPairCases } from '../src/gate/pair-cases-kswitch.js';
import { selectorOf } from '../src/gate/pairs.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;
const OPTIONS = { backendName: 'native', n: 8192, symmetricPrng: 'shake256' } as const;
const PAIRS = 2 * KEY_MOVE_PAIRS + 1;

interface Moves {
  galois: number;
  relin: number;
  readonly backends: CkksBackend[];
}

/** The reference's modules, with every native backend they make counting its key moves. */
async function countingReference(root: string, moves: Moves): Promise<SideModules> {
  const reference = await loadSide(root);
  const createNativeBackend: typeof reference.ckks.createNativeBackend = async (...args) => {
    const backend = await reference.ckks.createNativeBackend(...args);
    const generateGaloisKeys = backend.generateGaloisKeys.bind(backend);
    const importKey = backend.importKey.bind(backend);
    backend.generateGaloisKeys = (steps) => {
      moves.galois++;
      generateGaloisKeys(steps);
    };
    backend.importKey = (kind, bytes) => {
      if (kind === 'relin') moves.relin++;
      importKey(kind, bytes);
    };
    moves.backends.push(backend);
    return backend;
  };
  return { ...reference, ckks: { ...reference.ckks, createNativeBackend } };
}

describe('key-switching pair cases', { skip: NO_ADDON }, () => {
  it(`moves a side's keys to fresh memory every ${KEY_MOVE_PAIRS} pairs, and its rotations stay right`, async () => {
    const root = findRepoRoot()!;
    const moves: Moves = { galois: 0, relin: 0, backends: [] };
    const baseline = await countingReference(root, moves);
    const wanted = (name: string): boolean => name === 'ckks.rotate_hoisted' || name === 'ckks.relinearize';
    const notes: string[] = [];
    const disposers: (() => void)[] = [];
    try {
      const cases = await kswitchPairCases({ baseline, current: candidateSide(root) }, { ...OPTIONS, wanted }, notes, disposers);
      assert.deepEqual(notes, []);
      assert.deepEqual(
        cases.map((c) => selectorOf(c.name, c.labels)),
        ['ckks.relinearize{backend=native;n=8192}', 'ckks.rotate_hoisted{backend=native;n=8192;rotations=8}'],
      );
      assert.equal(moves.backends.length, 1, 'the reference made one backend for the key-switching cases');
      assert.deepEqual([moves.galois, moves.relin], [0, 0], 'no move while the cases are built');

      const out = await measureInterleaved(cases, { pairs: PAIRS, sliceMs: 1, minCalls: 1, warmupCalls: 1 });
      // PAIRS slices a side and case: a move before slices KEY_MOVE_PAIRS and 2 KEY_MOVE_PAIRS
      assert.deepEqual([moves.galois, moves.relin], [2, 2]);
      assert.equal(out.rounds.length, PAIRS);
      for (const m of out.current) assert.ok(m.summary.median > 0, `${m.name} measured`);

      // the moved Galois keys are keys of the side's secret key: a rotation still decrypts right
      const backend = moves.backends[0]!;
      const values = Float64Array.from({ length: backend.slotCount }, (_, i) => ((i % 97) - 48) / 64);
      const steps = KSWITCH_PAIR_STEPS[2]!;
      const ct = backend.encrypt(backend.encode(values));
      const rotated = backend.decode(backend.decrypt(backend.rotate(ct, steps)));
      for (let i = 0; i < 64; i++) {
        const want = values[(i + steps) % values.length]!;
        assert.ok(Math.abs(rotated[i]! - want) < 1e-4, `slot ${i}: ${rotated[i]} vs ${want}`);
      }
    } finally {
      disposers.forEach((d) => d());
    }
  });
});
