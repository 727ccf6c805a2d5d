import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldChain } from '../src/bsgs.js';
import { ProjectionWorkload, blockSizeFor, bsgsPlan, pack, type BsgsPlan } from '../src/index.js';

/** rot_s(v)[i] = v[(i + s) mod n] */
function rot(v: Float64Array, s: number): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = v[(((i + s) % n) + n) % n] as number;
  return out;
}

function addTo(acc: Float64Array, v: Float64Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (v[i] as number);
}

/** The service's evaluation order on plain slot vectors: baby steps, masked giant steps, fold. */
function evaluate(w: ProjectionWorkload, b: BsgsPlan, ct: Float64Array, blockSize: number): Float64Array {
  const S = ct.length;
  const baby = Array.from({ length: b.babySteps }, (_, j) => rot(ct, b.firstOffset + j));
  const acc = new Float64Array(S);
  for (let g = 0; g < b.giantSteps; g++) {
    const inner = new Float64Array(S);
    for (let j = 0; j < b.babySteps; j++) {
      const i = g * b.babySteps + j;
      if (i >= b.masks) continue;
      const tiled = new Float64Array(S);
      for (let o = 0; o < S; o += blockSize) tiled.set(w.mask(b, i, blockSize), o);
      const mask = rot(tiled, -g * b.babySteps);
      const z = baby[j] as Float64Array;
      for (let s = 0; s < S; s++) inner[s] = (inner[s] as number) + (mask[s] as number) * (z[s] as number);
    }
    addTo(acc, rot(inner, g * b.babySteps));
  }
  let sum = acc;
  for (const step of b.foldChain) {
    const next = Float64Array.from(sum);
    addTo(next, rot(step.source === 'sum' ? sum : acc, step.by));
    sum = next;
  }
  return sum;
}

describe('bsgsPlan', () => {
  it('768 → 64 in 1024-slot blocks: 13 copies per block, 64 masks, 8 × 8, 20 rotations (20 Galois keys)', () => {
    const b = bsgsPlan(768, 64, 1024);
    assert.deepEqual([b.diagonals, b.fold, b.masks, b.babySteps, b.giantSteps], [831, 13, 64, 8, 8]);
    assert.deepEqual([b.babyRotations, b.giantRotations, b.foldChain.length, b.rotationsPerCiphertext], [8, 7, 5, 20]);
    assert.deepEqual(b.steps, [-63, -62, -61, -60, -59, -58, -57, -56, 8, 16, 24, 32, 40, 48, 56, 64, 128, 192, 384, 768]);
    const c = new ProjectionWorkload().describe({ layout: 'blocked', tokens: 1024, slotCount: 4096 });
    assert.equal(c.inputCiphertexts, 256);
    assert.equal(c.rotations, 256 * 20);
    assert.equal(c.plaintextMultiplications, 256 * 64);
    assert.equal(c.additions, 256 * (63 + 5));
    assert.deepEqual(c.rotationSteps, b.steps);
  });

  it('without a block size, or without room for a second copy, it is the plain diagonal method', () => {
    const plain = bsgsPlan(768, 64);
    assert.deepEqual([plain.fold, plain.masks, plain.babySteps, plain.giantSteps, plain.rotationsPerCiphertext], [1, 831, 29, 29, 57]);
    assert.equal(plain.foldChain.length, 0);
    // 768 → 768: a second copy of 768 rows does not fit a 1024-slot block.
    assert.equal(bsgsPlan(768, 768, 1024).fold, 1);
    assert.throws(() => bsgsPlan(768, 64, 512), /blockSize/);
  });

  it('the fold chain sums copies 0 … R − 1 exactly once, in about log₂ R rotations', () => {
    for (let R = 1; R <= 40; R++) {
      // Track which copies each running sum holds, as multisets of copy indices.
      const K = 7;
      const acc = [0];
      let sum = [...acc];
      const chain = foldChain(R, K);
      for (const step of chain) {
        const src = step.source === 'sum' ? sum : acc;
        sum = [...sum, ...src.map((b) => b + step.by / K)];
      }
      assert.deepEqual(
        sum.sort((a, b) => a - b),
        Array.from({ length: R }, (_, b) => b),
        `R = ${R}`,
      );
      assert.ok(chain.length <= 2 * Math.floor(Math.log2(R)), `R = ${R}: ${chain.length} rotations`);
    }
  });

  it('every chosen plan fits its block and covers each (row, column) exactly once', () => {
    for (const [d, k, B] of [
      [768, 64, 1024],
      [768, 128, 1024],
      [768, 300, 1024],
      [12, 5, 16],
      [20, 3, 64],
      [9, 9, 16],
      [5, 12, 16],
      [100, 1, 128],
    ] as const) {
      const b = bsgsPlan(d, k, B);
      assert.ok(b.fold === 1 || (b.masks >= k && (b.fold - 1) * b.masks + k <= B), `${d}x${k}/${B}`);
      assert.ok(b.fold * b.masks >= b.diagonals);
      const w = new ProjectionWorkload({ seed: 5, width: d, outputs: k });
      // Each weight is used once: the masks' entries, summed, are the weights' sum.
      let used = 0;
      let entries = 0;
      for (let i = 0; i < b.masks; i++) {
        for (const v of w.mask(b, i, B)) {
          if (v === 0) continue;
          used += v;
          entries++;
        }
      }
      const nonZero = w.weights.filter((v) => v !== 0);
      const total = nonZero.reduce((a, v) => a + v, 0);
      assert.equal(entries, nonZero.length, `${d}x${k}/${B}`);
      assert.ok(Math.abs(used - total) < 1e-9, `${d}x${k}/${B}`);
    }
  });

  it('the folded evaluation on blocked slot vectors equals the reference at [0, k) of each block (plaintext simulation)', () => {
    for (const [d, k, S, tokens] of [
      [12, 5, 64, 7],
      [20, 3, 128, 5],
      [9, 9, 64, 4],
      [30, 2, 64, 3],
    ] as const) {
      const w = new ProjectionWorkload({ seed: 11, width: d, outputs: k });
      const input = Float64Array.from({ length: tokens * d }, (_, i) => Math.sin(i + 1));
      const { vectors, plan } = pack(input, tokens, 'blocked', S, { width: d });
      assert.ok(plan.layout === 'blocked');
      const B = plan.blockSize;
      assert.equal(B, blockSizeFor(d));
      const ref = w.reference(input, tokens);
      for (const b of [bsgsPlan(d, k, B), bsgsPlan(d, k)]) {
        const out = vectors.map((ct) => evaluate(w, b, ct, B));
        for (let t = 0; t < tokens; t++) {
          const ct = Math.floor(t / plan.tokensPerCiphertext);
          const base = (t % plan.tokensPerCiphertext) * B;
          for (let r = 0; r < k; r++) {
            const got = out[ct]?.[base + r] as number;
            assert.ok(Math.abs(got - (ref[t * k + r] as number)) < 1e-12, `${d}x${k} fold ${b.fold}: t${t} r${r} ${got}`);
          }
        }
      }
      assert.ok(bsgsPlan(d, k, B).fold > 1 || k === d, `${d}x${k}: the simulation exercises a fold`);
    }
  });
});
