/**
 * The calibration benchmark: a small, fixed, CPU-bound workload that does not depend on the
 * code under test — a radix-2 NTT of 1024 residues modulo 12289 in plain JavaScript (Int32
 * arithmetic, exact). Its median on two machines estimates how much faster one is than the
 * other for this kind of work, so that the gate can normalise a baseline recorded on another
 * machine class. It measures the CPU and the JIT, not our kernels: a regression in the kernels
 * can never be normalised away by it.
 */
import { makeRunMetric, type Metric, type RunMetricName } from '@hlp/results';
import { LabError } from '../errors.js';
import { measure } from './measure.js';

export const CALIBRATION_METRIC = 'calibration.js_ntt' satisfies RunMetricName;
export const CALIBRATION_N = 1024;
export const CALIBRATION_Q = 12289; // 3 · 2^12 + 1, NTT-friendly up to n = 4096
const GENERATOR = 11; // a primitive root modulo 12289
export const CALIBRATION_TIME_MS = 400;
export const CALIBRATION_QUICK_TIME_MS = 200;
export const CALIBRATION_SAMPLES_CAP = 2000;

function powMod(base: number, exp: number, q: number): number {
  let result = 1;
  let b = base % q;
  let e = exp;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, b) % q;
    b = Math.imul(b, b) % q;
    e >>>= 1;
  }
  return result;
}

/** Twiddle table for an iterative Cooley–Tukey NTT with root `w` of order n. */
function twiddles(n: number, w: number, q: number): Int32Array {
  const t = new Int32Array(n / 2);
  let x = 1;
  for (let i = 0; i < n / 2; i++) {
    t[i] = x;
    x = Math.imul(x, w) % q;
  }
  return t;
}

function bitReverse(a: Int32Array): void {
  const n = a.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}

/** In-place cyclic NTT of `a` (length n, residues in [0, q)). */
export function jsNtt(a: Int32Array, table: Int32Array, q: number): void {
  const n = a.length;
  bitReverse(a);
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let j = 0; j < half; j++) {
        const u = a[i + j]!;
        const v = Math.imul(a[i + j + half]!, table[j * step]!) % q;
        const s = u + v;
        const d = u - v;
        a[i + j] = s >= q ? s - q : s;
        a[i + j + half] = d < 0 ? d + q : d;
      }
    }
  }
}

export interface CalibrationWorkload {
  /** One timed unit of work: a forward NTT of the working vector. */
  readonly run: () => void;
  /** Forward then inverse NTT reproduces the input (checked before timing). */
  readonly selfCheck: () => boolean;
}

export function calibrationWorkload(n = CALIBRATION_N, q = CALIBRATION_Q): CalibrationWorkload {
  const w = powMod(GENERATOR, (q - 1) / n, q);
  const forward = twiddles(n, w, q);
  const inverse = twiddles(n, powMod(w, q - 2, q), q);
  const nInv = powMod(n, q - 2, q);
  const input = new Int32Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    input[i] = seed % q;
  }
  const work = Int32Array.from(input);
  let sink = 0;
  return {
    run: () => {
      jsNtt(work, forward, q);
      sink ^= work[sink & (n - 1)]!;
    },
    selfCheck: () => {
      const a = Int32Array.from(input);
      jsNtt(a, forward, q);
      jsNtt(a, inverse, q);
      for (let i = 0; i < n; i++) if (Math.imul(a[i]!, nInv) % q !== input[i]) return false;
      return true;
    },
  };
}

export interface CalibrationOptions {
  readonly timeMs?: number;
  readonly quick?: boolean;
}

/** Measures the calibration benchmark here and now; a metric `calibration.js_ntt` in ns. */
export async function runCalibration(options: CalibrationOptions = {}): Promise<Metric> {
  const workload = calibrationWorkload();
  if (!workload.selfCheck()) throw new LabError('INTERNAL', 'the calibration NTT failed its round-trip check');
  const timeMs = options.timeMs ?? (options.quick ? CALIBRATION_QUICK_TIME_MS : CALIBRATION_TIME_MS);
  const labels = { n: CALIBRATION_N, q: CALIBRATION_Q, impl: 'js' };
  const samples = await measure(workload.run, {
    timeMs,
    warmupMs: Math.max(20, Math.round(timeMs / 4)),
    minIterations: 64,
    metric: { name: CALIBRATION_METRIC, labels },
  });
  if (samples.length === 0) throw new LabError('INTERNAL', 'the calibration benchmark measured no samples');
  return makeRunMetric(CALIBRATION_METRIC, { labels, samples, keep: CALIBRATION_SAMPLES_CAP });
}
