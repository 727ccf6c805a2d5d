/**
 * CKKS parameter search (`hlp tune`): inside the HomomorphicEncryption.org 128-bit table, for the
 * default workload `affine` (depth 1) — measure encode+encrypt latency (native backend, seeded
 * secret-key encryption: what the proxy sends by default), precision
 * (max error of encrypt → multiply_plain → rescale → add_plain → decrypt against the workload's
 * plaintext reference) and ciphertext bytes; keep the Pareto front.
 *
 * The space is pruned, not gridded:
 *  - depth: exactly `workload.depth` middle primes, each of the scale's size (extra levels cost
 *    bytes and time and buy nothing for this workload);
 *  - q0 = scale + headroom bits (the integer part of the result plus a guard), special prime = q0;
 *  - bit budget: total ≤ the 128-bit bound for N (parseParams refuses the rest), q0 ≤ 60 bits;
 *  - dominated regions: a larger N only buys modulus budget, so at a larger N only the scales
 *    that no smaller N can hold are tried (the same scale at a larger N costs more time and bytes
 *    for the same precision).
 */
import { HE_STD_128_MAX_LOG_Q, PRNG_SEED_BYTES, createNativeBackend, parseParams, type CkksParams } from '@hlp/ckks';
import { createWorkload, type AffineWorkload } from '@hlp/model';

export interface Candidate {
  readonly n: number;
  readonly coeffModulusBits: readonly number[];
  readonly scaleBits: number;
}

export interface Point extends Candidate {
  /** encode + seeded secret-key encrypt of one ciphertext (the proxy's default), median, ms */
  readonly latencyMs: number;
  /** max |decrypted − reference| of the affine workload */
  readonly maxError: number;
  /** SEAL serialization, compression none (64-bit words per residue) */
  readonly serializedBytes: number;
  /** bit-packed size of what travels: c0 (N · Σ log2 q_i of the fresh ciphertext's primes / 8) and the 64-byte seed */
  readonly packedBytes: number;
  readonly totalBits: number;
}

export interface SearchSpace {
  readonly ns: readonly number[];
  readonly scales: readonly number[];
  /** bits above the scale in q0 */
  readonly headroom: number;
  readonly depth: number;
}

export const QUICK_SPACE: SearchSpace = { ns: [4096, 8192, 16384], scales: [20, 25, 30, 35, 40, 45, 50], headroom: 10, depth: 1 };
export const FULL_SPACE: SearchSpace = { ns: [4096, 8192, 16384, 32768], scales: [20, 22, 25, 28, 30, 33, 36, 40, 43, 46, 50], headroom: 10, depth: 1 };

/** The pruned candidate list (see the module comment); `pruned` says what was skipped and why. */
export function candidates(space: SearchSpace): { list: Candidate[]; pruned: string[] } {
  const list: Candidate[] = [];
  const pruned: string[] = [];
  const held = new Set<number>();
  for (const n of [...space.ns].sort((a, b) => a - b)) {
    const bound = HE_STD_128_MAX_LOG_Q[n] ?? 0;
    for (const s of space.scales) {
      const q0 = s + space.headroom;
      const bits = [q0, ...Array<number>(space.depth).fill(s), q0];
      const total = bits.reduce((a, b) => a + b, 0);
      if (q0 > 60) {
        pruned.push(`n=${n} scale=${s}: q0 would need ${q0} bits (> 60)`);
        continue;
      }
      if (total > bound) {
        pruned.push(`n=${n} scale=${s}: ${total} bits > 128-bit bound ${bound}`);
        continue;
      }
      if (held.has(s)) {
        pruned.push(`n=${n} scale=${s}: dominated by a smaller n holding the same scale`);
        continue;
      }
      held.add(s);
      list.push({ n, coeffModulusBits: bits, scaleBits: s });
    }
  }
  return { list, pruned };
}

function seeded(count: number, seed: number): Float64Array {
  let x = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    out[i] = (x / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Measures one candidate with the native backend. */
export async function measure(c: Candidate, iterations: number, workload: AffineWorkload): Promise<Point> {
  const params: CkksParams = parseParams({ n: c.n, coeffModulusBits: [...c.coeffModulusBits], scaleBits: c.scaleBits });
  const be = await createNativeBackend(params);
  try {
    be.generateKeys({ relin: false });
    const width = workload.inputWidth;
    const tokens = Math.max(1, Math.floor(be.slotCount / width));
    const used = tokens * width;
    const x = new Float64Array(be.slotCount);
    x.set(seeded(used, 0x7e57 + c.n + c.scaleBits));
    const a = new Float64Array(be.slotCount);
    const b = new Float64Array(be.slotCount);
    for (let t = 0; t < tokens; t++) {
      a.set(workload.scale, t * width);
      b.set(workload.shift, t * width);
    }
    const reference = workload.reference(x.subarray(0, used), tokens);

    // latency: encode + encrypt, after one warm-up
    const times: number[] = [];
    for (let i = 0; i <= iterations; i++) {
      const t0 = performance.now();
      const pt = be.encode(x);
      const ct = be.encryptSymmetric(pt);
      const dt = performance.now() - t0;
      if (i > 0) times.push(dt);
      pt.dispose();
      ct.dispose();
    }
    times.sort((p, q) => p - q);
    const latencyMs = times[Math.floor((times.length - 1) / 2)]!;

    // precision: the affine workload evaluated homomorphically
    const pt = be.encode(x);
    const ct = be.encryptSymmetric(pt);
    const serializedBytes = ct.serialize().length;
    const pa = be.encode(a);
    const prod = be.multiplyPlain(ct, pa);
    const resc = be.rescaleToNext(prod);
    const pb = be.encode(b, { scale: resc.scale, level: resc.level });
    const sum = be.addPlain(resc, pb);
    const outPt = be.decrypt(sum);
    const out = be.decode(outPt);
    let maxError = 0;
    for (let i = 0; i < used; i++) maxError = Math.max(maxError, Math.abs(out[i]! - reference[i]!));
    for (const h of [pt, ct, pa, prod, resc, pb, sum, outPt]) h.dispose();
    const totalBits = params.totalBits;
    const dataBits = c.coeffModulusBits.slice(0, -1).reduce((p, q) => p + q, 0);
    return { ...c, latencyMs, maxError, serializedBytes, packedBytes: Math.ceil((c.n * dataBits) / 8) + PRNG_SEED_BYTES, totalBits };
  } finally {
    be.dispose();
  }
}

/** p dominates q: no worse in all three objectives, better in one. */
export function dominates(p: Point, q: Point): boolean {
  const le = p.latencyMs <= q.latencyMs && p.maxError <= q.maxError && p.packedBytes <= q.packedBytes;
  const lt = p.latencyMs < q.latencyMs || p.maxError < q.maxError || p.packedBytes < q.packedBytes;
  return le && lt;
}

export function paretoFront(points: readonly Point[]): Point[] {
  return points.filter((p) => !points.some((q) => q !== p && dominates(q, p))).sort((a, b) => a.latencyMs - b.latencyMs || a.maxError - b.maxError);
}

/** The recommendation: the fastest front point within `maxError`, ties by bytes; else the most precise. */
export function recommend(front: readonly Point[], maxError: number): Point | null {
  const ok = front.filter((p) => p.maxError <= maxError).sort((a, b) => a.latencyMs - b.latencyMs || a.packedBytes - b.packedBytes);
  return ok[0] ?? [...front].sort((a, b) => a.maxError - b.maxError)[0] ?? null;
}

export interface TuneOutcome {
  readonly points: readonly Point[];
  readonly front: readonly Point[];
  readonly pruned: readonly string[];
  readonly recommended: Point | null;
}

export async function tune(options: {
  space: SearchSpace;
  iterations: number;
  maxError: number;
  progress?: (i: number, n: number, c: Candidate) => void;
}): Promise<TuneOutcome> {
  const workload = createWorkload('affine') as AffineWorkload;
  const { list, pruned } = candidates({ ...options.space, depth: Math.max(options.space.depth, workload.depth) });
  const points: Point[] = [];
  for (const [i, c] of list.entries()) {
    options.progress?.(i + 1, list.length, c);
    points.push(await measure(c, options.iterations, workload));
  }
  const front = paretoFront(points);
  return { points, front, pruned, recommended: recommend(front, options.maxError) };
}

export function renderFront(o: TuneOutcome): string {
  const head = '  n      coeffModulusBits  scale  latency ms   max error   packed KiB  serialized KiB';
  const row = (p: Point, mark: string): string =>
    `${mark} ${String(p.n).padEnd(6)} ${`[${p.coeffModulusBits.join(',')}]`.padEnd(17)} ${String(p.scaleBits).padStart(5)}  ${p.latencyMs.toFixed(2).padStart(10)}  ${p.maxError.toExponential(2).padStart(10)}  ${(p.packedBytes / 1024).toFixed(0).padStart(11)}  ${(p.serializedBytes / 1024).toFixed(0).padStart(14)}`;
  const lines = [`Pareto front: ${o.front.length} of ${o.points.length} measured points (${o.pruned.length} candidates pruned)`, head];
  for (const p of o.front) lines.push(row(p, p === o.recommended ? '*' : ' '));
  if (o.recommended)
    lines.push(`* recommended: n=${o.recommended.n} coeffModulusBits=[${o.recommended.coeffModulusBits.join(',')}] scaleBits=${o.recommended.scaleBits}`);
  return lines.join('\n');
}
