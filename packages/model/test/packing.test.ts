import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PACKING_LAYOUTS,
  ciphertextCount,
  isModelError,
  locate,
  pack,
  packBatch,
  parsePackingPlan,
  planPacking,
  unpack,
  unpackBatch,
  type PackingLayout,
} from '../src/index.js';

/** Distinct non-zero values so that any misplaced slot shows. */
function values(tokens: number, width: number, salt = 0): Float64Array {
  return Float64Array.from({ length: tokens * width }, (_, i) => salt * 1e6 + i + 1);
}

describe('packing counts', () => {
  it('a full GPT-2 prompt (1024 × 768) at 4096 slots: 192 dense, 256 blocked, 768 dimension-major', () => {
    assert.equal(ciphertextCount('dense', 1024, 4096), 192);
    assert.equal(ciphertextCount('blocked', 1024, 4096), 256);
    assert.equal(ciphertextCount('dimension-major', 1024, 4096), 768);
    const plan = planPacking('blocked', 1024, 4096);
    assert.ok(plan.layout === 'blocked' && plan.blockSize === 1024 && plan.tokensPerCiphertext === 4);
  });

  it('short prompts and other slot counts', () => {
    assert.equal(ciphertextCount('blocked', 32, 4096), 8);
    assert.equal(ciphertextCount('dense', 32, 4096), 6);
    assert.equal(ciphertextCount('dimension-major', 32, 4096), 768);
    assert.equal(ciphertextCount('blocked', 1024, 8192), 128);
    assert.equal(ciphertextCount('dense', 1024, 16384), 48);
    assert.equal(ciphertextCount('dimension-major', 1024, 512), 768 * 2);
    assert.equal(ciphertextCount('dense', 0, 4096), 0);
  });

  it('rejects impossible geometries', () => {
    assert.throws(
      () => planPacking('blocked', 4, 3000),
      (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => planPacking('blocked', 4, 512),
      (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => planPacking('dense', -1, 4096),
      (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
    );
  });
});

describe('pack / unpack', () => {
  const cases: [number, number, number][] = [
    [1024, 768, 4096],
    [37, 768, 4096],
    [5, 6, 16],
    [9, 3, 4],
    [0, 768, 4096],
  ];
  for (const layout of PACKING_LAYOUTS) {
    for (const [tokens, width, slots] of cases) {
      it(`${layout}: ${tokens} × ${width} at ${slots} slots round-trips exactly`, () => {
        const x = values(tokens, width);
        const { vectors, plan } = pack(x, tokens, layout, slots, { width });
        assert.equal(vectors.length, plan.ciphertexts);
        for (const v of vectors) assert.equal(v.length, slots);
        assert.deepEqual(unpack(vectors, plan), x);
        // every value sits where locate() says, and nothing else is non-zero
        let nonZero = 0;
        for (const v of vectors) for (const s of v) if (s !== 0) nonZero++;
        assert.equal(nonZero, tokens * width);
        for (let t = 0; t < tokens; t += Math.max(1, Math.floor(tokens / 7))) {
          for (let d = 0; d < width; d += Math.max(1, Math.floor(width / 5))) {
            const { ciphertext, slot } = locate(plan, t, d);
            assert.equal(vectors[ciphertext]?.[slot], x[t * width + d]);
          }
        }
      });
    }
  }

  it('blocked puts each token at the start of its own 1024-slot block, zero-padded', () => {
    const x = values(5, 768);
    const { vectors } = pack(x, 5, 'blocked', 4096);
    assert.equal(vectors.length, 2);
    assert.equal(vectors[0]?.[1024], x[768]);
    assert.equal(vectors[0]?.[767], x[767]);
    assert.equal(vectors[0]?.[768], 0);
    assert.equal(vectors[1]?.[0], x[4 * 768]);
    assert.equal(vectors[1]?.[1024], 0);
  });

  it('rejects mismatched inputs', () => {
    assert.throws(
      () => pack(new Float64Array(10), 2, 'dense', 16, { width: 4 }),
      (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
    );
    const { vectors, plan } = pack(values(8, 4), 8, 'dense', 16, { width: 4 });
    assert.throws(
      () => unpack(vectors.slice(1), plan),
      (e: unknown) => isModelError(e, 'PACKING_MISMATCH'),
    );
    assert.throws(
      () => unpack([new Float64Array(8), new Float64Array(16)], plan),
      (e: unknown) => isModelError(e, 'PACKING_MISMATCH'),
    );
  });

  it('validates plans that come from outside', () => {
    const plan = planPacking('blocked', 1024, 4096);
    assert.deepEqual(parsePackingPlan(JSON.parse(JSON.stringify(plan))), plan);
    assert.throws(
      () => parsePackingPlan({ ...plan, ciphertexts: 255 }),
      (e: unknown) => isModelError(e, 'PACKING_MISMATCH'),
    );
    assert.throws(
      () => parsePackingPlan({ ...plan, layout: 'diagonal' }),
      (e: unknown) => isModelError(e, 'PACKING_MISMATCH'),
    );
    assert.throws(
      () => parsePackingPlan({ ...plan, slotCount: 3000 }),
      (e: unknown) => isModelError(e, 'PACKING_MISMATCH'),
    );
  });
});

describe('packBatch / unpackBatch', () => {
  const sizes = [32, 256, 5, 1024, 0, 700];
  for (const layout of PACKING_LAYOUTS) {
    it(`${layout}: a batch round-trips and reports slot ranges that hold exactly each request`, () => {
      const requests = sizes.map((tokens, i) => ({ embeddings: values(tokens, 768, i + 1), tokens }));
      const { vectors, plan } = packBatch(requests, layout, 4096);
      const back = unpackBatch(vectors, plan);
      requests.forEach((r, i) => assert.deepEqual(back[i], r.embeddings));
      for (const placement of plan.requests) {
        const salt = placement.index + 1;
        let count = 0;
        for (const range of placement.ranges) {
          assert.ok(range.ciphertextStart < range.ciphertextEnd && range.slotStart < range.slotEnd);
          for (let c = range.ciphertextStart; c < range.ciphertextEnd; c++) {
            for (let s = range.slotStart; s < range.slotEnd; s++) {
              const v = vectors[c]?.[s] as number;
              if (v !== 0) {
                assert.equal(Math.floor(v / 1e6), salt, `slot ${c}:${s} belongs to request ${placement.index}`);
                count++;
              }
            }
          }
        }
        assert.equal(count, placement.tokens * 768);
      }
    });
  }

  it('dimension-major shares 768 ciphertexts among requests and never splits one that fits a group', () => {
    const requests = [3000, 1000, 200, 4096].map((tokens, i) => ({ embeddings: values(tokens, 768, i + 1), tokens }));
    const { vectors, plan } = packBatch(requests, 'dimension-major', 4096);
    assert.equal(plan.layout, 'dimension-major');
    assert.equal(vectors.length, 3 * 768);
    const offsets = plan.requests.map((r) => r.tokenOffset);
    assert.deepEqual(offsets, [0, 3000, 4096, 8192]);
    for (const r of plan.requests) assert.equal(r.ranges.length, 1);
    assert.deepEqual(plan.requests[1]?.ranges[0], { ciphertextStart: 0, ciphertextEnd: 768, slotStart: 3000, slotEnd: 4000 });
  });

  it('blocked batches of short prompts share ciphertexts (4 tokens each)', () => {
    const requests = [2, 2, 3].map((tokens, i) => ({ embeddings: values(tokens, 768, i + 1), tokens }));
    const { vectors, plan } = packBatch(requests, 'blocked', 4096);
    assert.equal(vectors.length, 2);
    assert.deepEqual(plan.requests[1]?.ranges, [{ ciphertextStart: 0, ciphertextEnd: 1, slotStart: 2048, slotEnd: 4096 }]);
    assert.deepEqual(plan.requests[2]?.ranges, [{ ciphertextStart: 1, ciphertextEnd: 2, slotStart: 0, slotEnd: 3072 }]);
  });

  it('counts for a batch of 32 medium prompts (256 tokens)', () => {
    const requests = Array.from({ length: 32 }, () => ({ embeddings: new Float64Array(256 * 768), tokens: 256 }));
    const counts = Object.fromEntries(
      (['blocked', 'dense', 'dimension-major'] as PackingLayout[]).map((l) => [l, packBatch(requests, l, 4096).vectors.length]),
    );
    assert.deepEqual(counts, { blocked: 2048, dense: 1536, 'dimension-major': 1536 });
  });
});
