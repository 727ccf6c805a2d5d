import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { findRepoRoot } from '@hlp/results';
import { NativeBackend, type CkksBackend } from '@hlp/ckks';
import { KEY_MOVE_PAIRS } from '../src/gate/fresh-inputs.js';
import { makePlacements, placementAt, PLACEMENTS, rotating } from '../src/gate/placements.js';
import { candidateSide, ckksPairCases, loadSide } from '../src/gate/pair-cases.js';
import type { SideName } from '../src/gate/interleave.js';

const NO_ADDON = !existsSync(ADDON_PATH) && 'native addon not built';

/** Both sides' CKKS pair cases from this checkout (the key-switching cases left out). */
async function bothSides(prompt: boolean): Promise<Awaited<ReturnType<typeof ckksPairCases>>> {
  const root = findRepoRoot()!;
  return await ckksPairCases(
    { baseline: await loadSide(root), current: candidateSide(root) },
    { backends: ['native'], ns: [8192], threads: [1], prompt, symmetricPrng: 'shake256', promptChunks: 12, keySwitching: false },
  );
}

/**
 * The backends a case ran on, slice by slice (or pair by pair), over 2 KEY_MOVE_PAIRS + 1 of them:
 * one per KEY_MOVE_PAIRS, so three distinct ones a side, and none shared between the sides.
 */
function assertRotated(seen: Record<SideName, unknown[]>): void {
  for (const s of ['baseline', 'current'] as const) {
    assert.equal(new Set(seen[s]).size, 3, s);
    assert.equal(new Set(seen[s].slice(0, KEY_MOVE_PAIRS)).size, 1, s);
  }
  assert.ok(
    seen.baseline.every((b) => !seen.current.includes(b)),
    'the sides share no backend',
  );
}

/** Records the backend of every call of a NativeBackend method until the returned restore is called. */
function spyOnBackends(method: 'decode' | 'encodeEncryptManyOn'): { calls: unknown[]; restore: () => void } {
  const proto = NativeBackend.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const original = proto[method]!;
  const calls: unknown[] = [];
  proto[method] = function (this: unknown, ...a: unknown[]) {
    calls.push(this);
    return original.apply(this, a);
  };
  return { calls, restore: () => (proto[method] = original) };
}

describe('placements', () => {
  it('a case moves to the next placement every KEY_MOVE_PAIRS slices, wrapping, from its own offset', () => {
    const seq = (offset: number): number[] => Array.from({ length: 4 * KEY_MOVE_PAIRS }, (_, i) => placementAt(i, offset, 3));
    const expected = (offset: number): number[] => [0, 1, 2, 3].flatMap((k) => Array<number>(KEY_MOVE_PAIRS).fill((k + offset) % 3));
    assert.deepEqual(seq(0), expected(0));
    assert.deepEqual(seq(2), expected(2));
    assert.notDeepEqual(seq(0), seq(1));
  });

  it('makes the sides’ backends in turns, keys generated once per side and imported by the others', async () => {
    const log: string[] = [];
    const fake = (side: SideName, id: number): CkksBackend =>
      ({
        generateKeys: () => log.push(`${side}${id} generate`),
        exportKey: (kind: string) => Uint8Array.of(id, kind === 'secret' ? 1 : 2),
        importKey: (kind: string, bytes: Uint8Array) => log.push(`${side}${id} import ${kind} from ${side}${bytes[0]}`),
        dispose: () => log.push(`${side}${id} dispose`),
      }) as unknown as CkksBackend;
    const made = { baseline: 0, current: 0 };
    const order: string[] = [];
    const disposers: (() => void)[] = [];
    const out = await makePlacements(
      (side) => {
        order.push(side[0]!);
        return Promise.resolve(fake(side, made[side]++));
      },
      3,
      disposers,
    );
    assert.equal(order.join(''), 'bccbbc');
    assert.equal(out.baseline.length, 3);
    assert.equal(out.current.length, 3);
    assert.deepEqual(
      log.filter((l) => l.startsWith('current')),
      [
        'current0 generate',
        'current1 import secret from current0',
        'current1 import public from current0',
        'current2 import secret from current0',
        'current2 import public from current0',
      ],
    );
    log.length = 0;
    disposers.forEach((d) => d());
    assert.equal(log.filter((l) => l.endsWith('dispose')).length, 6);
  });

  it('rotating runs the call of the slice’s placement', () => {
    const r = rotating([() => 'a', () => 'b'], 1);
    const seen: string[] = [];
    for (let i = 0; i < 3 * KEY_MOVE_PAIRS; i++) {
      r.beforeSlice();
      seen.push(r.run());
    }
    assert.deepEqual(
      seen,
      ['b', 'a', 'b'].flatMap((x) => Array<string>(KEY_MOVE_PAIRS).fill(x)),
    );
  });

  it('a CKKS operation case runs on a side’s placements in turn, each side on its own, and stays right', { skip: NO_ADDON }, async () => {
    const built = await bothSides(false);
    const { calls, restore } = spyOnBackends('decode');
    try {
      const decode = built.cases.find((c) => c.name === 'ckks.decode');
      assert.ok(decode?.kind === 'timed' && decode.beforeSlice);
      const seen = { baseline: [] as unknown[], current: [] as unknown[] };
      for (let i = 0; i < 2 * KEY_MOVE_PAIRS + 1; i++)
        for (const s of ['baseline', 'current'] as const) {
          decode.beforeSlice[s]();
          decode.run[s]();
          seen[s].push(calls.at(-1));
        }
      assertRotated(seen);
      assert.ok(PLACEMENTS >= 3);
      // the answers rotate too, and every placement's answers decode
      const answers = built.cases.find((c) => c.name === 'ckks.decrypt_decode_batch');
      assert.ok(answers?.kind === 'timed' && answers.beforeSlice);
      for (let i = 0; i < PLACEMENTS * KEY_MOVE_PAIRS; i++) {
        answers.beforeSlice.current();
        const got = (await answers.run.current()) as Float64Array[];
        assert.equal(got.length, 24);
      }
    } finally {
      restore();
      built.dispose();
    }
  });
});

describe('gate placements: the prompt', () => {
  it('the prompt case moves each side to its next placement every KEY_MOVE_PAIRS pairs, a placement’s first part untimed', { skip: NO_ADDON }, async () => {
    const built = await bothSides(true);
    const { calls, restore } = spyOnBackends('encodeEncryptManyOn');
    try {
      const prompt = built.cases.find((c) => c.name === 'ckks.prompt_encrypt' && c.labels['key'] === 'public');
      assert.ok(prompt?.kind === 'chunked' && prompt.beforePair);
      const seen = { baseline: [] as unknown[], current: [] as unknown[] };
      const warmed: number[] = [];
      for (let pair = 0; pair < 2 * KEY_MOVE_PAIRS + 1; pair++)
        for (const s of ['baseline', 'current'] as const) {
          const before = calls.length;
          await prompt.beforePair[s]();
          warmed.push(calls.length - before);
          const bytes = (await prompt.run[s](1)) as Uint8Array[];
          assert.equal(bytes.length, 16, 'a part is 16 of the prompt’s 192 vectors');
          seen[s].push(calls.at(-1));
        }
      assertRotated(seen);
      // one untimed part on each placement's first pair, on both sides; none otherwise
      const firsts = [0, KEY_MOVE_PAIRS, 2 * KEY_MOVE_PAIRS];
      assert.deepEqual(warmed, Array.from({ length: 2 * KEY_MOVE_PAIRS + 1 }, (_, pair) => (firsts.includes(pair) ? [1, 1] : [0, 0])).flat());
    } finally {
      restore();
      built.dispose();
    }
  });
});
