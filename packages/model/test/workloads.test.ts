import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AffineWorkload,
  GELU_CUBIC_LSQ,
  MlpWorkload,
  ProjectionWorkload,
  SeededEmbeddings,
  WORKLOAD_NAMES,
  createWorkload,
  erf,
  evaluatePolynomial,
  gelu,
  isModelError,
  pack,
  unpack,
} from '../src/index.js';

const emb = new SeededEmbeddings({ seed: 3 });
const ids = [15496, 995, 262, 11, 0, 50256, 464];
const x = emb.embed(ids);
const T = ids.length;

function close(a: number, b: number, eps: number, what = ''): void {
  assert.ok(Math.abs(a - b) <= eps, `${what} ${a} ≉ ${b}`);
}

describe('GELU fit', () => {
  it('erf and gelu match known values', () => {
    close(erf(0.5), 0.5204998778130465, 1e-15);
    close(erf(1), 0.8427007929497149, 1e-15);
    close(erf(-2), -0.9953222650189527, 1e-15);
    close(erf(3), 0.9999779095030014, 1e-15);
    close(erf(4.5), 0.9999999998033839, 1e-15);
    close(gelu(1), 0.8413447460685429, 1e-15);
    close(gelu(-1), -0.15865525393145707, 1e-15);
  });

  it('the stated coefficients are the least-squares fit on [-4, 4] and meet the stated max error', () => {
    // Normal equations of the continuous least-squares problem, by Simpson's rule.
    const n = 8000;
    const h = 8 / n;
    const m = [0, 0, 0, 0, 0, 0, 0];
    const b = [0, 0, 0, 0];
    for (let i = 0; i <= n; i++) {
      const t = -4 + i * h;
      const wgt = (i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2) * (h / 3);
      const g = gelu(t);
      for (let p = 0; p < 7; p++) m[p] = (m[p] as number) + wgt * t ** p;
      for (let p = 0; p < 4; p++) b[p] = (b[p] as number) + wgt * g * t ** p;
    }
    const c = GELU_CUBIC_LSQ.coefficients;
    for (let row = 0; row < 4; row++) {
      let lhs = 0;
      for (let col = 0; col < 4; col++) lhs += (m[row + col] as number) * (c[col] as number);
      close(lhs, b[row] as number, 1e-9, `normal equation ${row}`);
    }
    let maxErr = 0;
    for (let i = 0; i <= 8000; i++) {
      const t = -4 + i * 0.001;
      maxErr = Math.max(maxErr, Math.abs(evaluatePolynomial(c, t) - gelu(t)));
    }
    close(maxErr, GELU_CUBIC_LSQ.maxError, 1e-5);
  });
});

describe('affine', () => {
  const w = new AffineWorkload({ seed: 9 });

  it('is a·x + b per hidden dimension, deterministic from the seed', () => {
    const y = w.reference(x, T);
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < 768; d += 31) {
        close(y[t * 768 + d] as number, (w.scale[d] as number) * (x[t * 768 + d] as number) + (w.shift[d] as number), 1e-15);
      }
    }
    assert.ok(w.scale.every((a) => a >= 0.5 && a < 1.5) && w.shift.every((b) => b >= -0.25 && b < 0.25));
    assert.deepEqual(new AffineWorkload({ seed: 9 }).reference(x, T), y);
    assert.notDeepEqual(new AffineWorkload({ seed: 10 }).reference(x, T), y);
  });

  it('packed operands reproduce the reference slot-wise under every layout', () => {
    for (const layout of ['blocked', 'dense', 'dimension-major'] as const) {
      const { vectors, plan } = pack(x, T, layout, 4096);
      const ops = w.packedOperands(plan);
      const out = vectors.map((v, i) => v.map((s, j) => (ops.scale[i]?.[j] as number) * s + (ops.shift[i]?.[j] as number)));
      assert.deepEqual(unpack(out, plan), w.reference(x, T));
      // padding stays zero
      if (layout === 'blocked') assert.equal(out[0]?.[800], 0);
    }
  });

  it('describes depth 1, no rotations, one multiply/rescale/add per ciphertext', () => {
    const c = w.describe({ layout: 'dense' });
    assert.equal(c.depth, 1);
    assert.equal(c.inputCiphertexts, 192);
    assert.equal(c.plaintextMultiplications, 192);
    assert.equal(c.rotations, 0);
    assert.equal(w.describe({ layout: 'dimension-major' }).rescales, 768);
    close(w.errorBound(1e-7), 1e-7 * (1 + Math.max(...w.scale)), 1e-20);
  });
});

describe('projection', () => {
  const p = new ProjectionWorkload({ seed: 5 });

  it('is W·x per token with k = 64 outputs, W ~ N(0, 1/768)', () => {
    assert.equal(p.outputWidth, 64);
    const y = p.reference(x, T);
    assert.equal(y.length, T * 64);
    let s = 0;
    for (let c = 0; c < 768; c++) s += (p.weights[3 * 768 + c] as number) * (x[2 * 768 + c] as number);
    close(y[2 * 64 + 3] as number, s, 1e-12);
    let s2 = 0;
    for (const v of p.weights) s2 += v * v;
    close(Math.sqrt(s2 / p.weights.length), 1 / Math.sqrt(768), 0.001);
  });

  it('dimension-major: no rotations, k·d constant multiplications; dense is unsupported', () => {
    const c = p.describe({ layout: 'dimension-major' });
    assert.equal(c.rotations, 0);
    assert.equal(c.plaintextMultiplications, 64 * 768);
    assert.equal(c.outputCiphertexts, 64);
    assert.equal(p.supports('dense'), false);
    assert.throws(
      () => p.describe({ layout: 'dense' }),
      (e: unknown) => isModelError(e, 'UNSUPPORTED_LAYOUT'),
    );
  });

  it('error bound scales with the largest row L1 norm', () => {
    close(p.errorBound(1e-6), (p.maxRowL1() + 1) * 1e-6, 1e-18);
  });
});

describe('mlp', () => {
  const m = new MlpWorkload({ seed: 5 });

  it('is p(W·x) with the GELU fit, on top of the same projection', () => {
    const proj = new ProjectionWorkload({ seed: 5 }).reference(x, T);
    const y = m.reference(x, T);
    for (let i = 0; i < y.length; i++) close(y[i] as number, evaluatePolynomial(GELU_CUBIC_LSQ.coefficients, proj[i] as number), 1e-15);
    assert.deepEqual(m.projectionReference(x, T), proj);
  });

  it('describes depth 2 for the quadratic GELU fit (fits N = 8192 [60, 40, 40, 60]) and its ops', () => {
    assert.equal(m.degree, 2);
    assert.equal(m.depth, 2);
    const c = m.describe({ layout: 'blocked' });
    const base = new ProjectionWorkload({ seed: 5 }).describe({ layout: 'blocked' });
    assert.equal(c.depth, 2);
    assert.equal(c.ciphertextMultiplications, 256);
    assert.equal(c.relinearizations, 256);
    assert.equal(c.plaintextMultiplications, 2 * base.plaintextMultiplications);
    assert.equal(c.rescales, 2 * 256 + 256);
    assert.equal(c.rotations, 256 * (8 + 2 * (7 + 5))); // baby steps shared by W and c2·W, each matrix its giant steps and fold
    assert.deepEqual(c.rotationSteps, base.rotationSteps);
    const dm = m.describe({ layout: 'dimension-major' });
    assert.equal(dm.plaintextMultiplications, 2 * 64 * 768);
    assert.equal(dm.ciphertextMultiplications, 64);
  });

  it('cubic and linear activations: depth 3 and 1; the nested form equals the polynomial', () => {
    const coefficients = [0.1, 1, 0.5, 0.2];
    const cubic = new MlpWorkload({ activation: { ...GELU_CUBIC_LSQ, coefficients } });
    assert.equal(cubic.depth, 3);
    assert.equal(cubic.describe({ layout: 'dimension-major' }).ciphertextMultiplications, 2 * 64);
    const linear = new MlpWorkload({ activation: { ...GELU_CUBIC_LSQ, coefficients: [0.5, 2] } });
    assert.equal(linear.depth, 1);
    assert.equal(linear.describe({ layout: 'blocked' }).ciphertextMultiplications, 0);
    for (const z of [-1.5, -0.2, 0, 0.3, 2]) {
      const zs = 0.2 * z; // (c3·W)·x
      close(z * (z * (zs + 0.5) + 1) + 0.1, evaluatePolynomial(coefficients, z), 1e-12);
    }
    assert.throws(
      () => new MlpWorkload({ activation: { ...GELU_CUBIC_LSQ, coefficients: [1, 0, 0] } }),
      (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('the error bound holds for a perturbed input', () => {
    const e = 1e-4;
    const noisy = x.map((v, i) => v + (i % 2 === 0 ? e : -e));
    const yz = m.projectionReference(x, T);
    const Z = Math.max(...yz.map(Math.abs));
    const bound = m.errorBound(e, Z);
    const a = m.reference(x, T);
    const b = m.reference(noisy, T);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    assert.ok(worst <= bound, `${worst} > ${bound}`);
    assert.ok(m.errorBound(e) >= bound);
  });
});

describe('createWorkload', () => {
  it('builds every named workload deterministically', () => {
    for (const name of WORKLOAD_NAMES) {
      const a = createWorkload(name, { seed: 1 });
      assert.equal(a.name, name);
      assert.deepEqual(a.reference(x, T), createWorkload(name, { seed: 1 }).reference(x, T));
      assert.equal(a.describe().name, name);
    }
    assert.throws(
      () => createWorkload('nope' as 'affine'),
      (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
    );
  });
});
