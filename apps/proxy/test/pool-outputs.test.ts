import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPacking, type BatchPlan, type PackingLayout } from '@hlp/model';

import { poolOutputs } from '../src/index.js';

/** The mean of each output over tokens [offset, offset + tokens), read value by value where each layout puts it. */
function reference(plan: BatchPlan, vectors: readonly Float64Array[], k: number, offset: number, tokens: number): number[] {
  const S = plan.slotCount;
  const sums = new Array<number>(k).fill(0);
  for (let g = offset; g < offset + tokens; g++) {
    for (let r = 0; r < k; r++) {
      let value: number;
      if (plan.layout === 'blocked') value = vectors[Math.floor(g / plan.tokensPerCiphertext)]![(g % plan.tokensPerCiphertext) * plan.blockSize + r]!;
      else if (plan.layout === 'dense') value = vectors[Math.floor((g * plan.width + r) / S)]![(g * plan.width + r) % S]!;
      else value = vectors[Math.floor(g / S) * plan.width + r]![g % S]!;
      sums[r]! += value;
    }
  }
  return sums.map((x) => (tokens > 0 ? x / tokens : x));
}

test('poolOutputs: the mean of each output over a request’s tokens, for every layout, across ciphertext boundaries', () => {
  const slots = 64;
  const width = 24; // dense: tokens straddle ciphertexts (64 is not a multiple of 24)
  const total = 20;
  let seed = 7;
  const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (const layout of ['blocked', 'dense', 'dimension-major'] as PackingLayout[]) {
    const base = planPacking(layout, total, slots, width);
    const plan: BatchPlan = { ...base, requests: [] };
    const vectors = Array.from({ length: base.ciphertexts }, () => Float64Array.from({ length: slots }, next));
    for (const k of [width, 5]) {
      for (const [offset, tokens] of [
        [0, total],
        [3, 7],
        [2, 1],
        [19, 1],
        [5, 0],
      ] as const) {
        const got = Array.from(poolOutputs(plan, vectors, k, offset, tokens));
        const want = reference(plan, vectors, k, offset, tokens);
        for (let r = 0; r < k; r++) assert.ok(Math.abs(got[r]! - want[r]!) < 1e-12, `${layout}, k ${k}, tokens [${offset}, ${offset + tokens}), output ${r}`);
      }
    }
  }
});
