/**
 * A thin wrapper over a CkksBackend's evaluation calls that counts what a workload executes, so
 * that responses report the operations actually performed (and tests can check them against
 * @hlp/model's `describe()` formulas).
 */
import type { CiphertextHandle, CkksBackend, CkksParams, PlaintextHandle } from '@hlp/ckks';
import { ProtocolError, type OpCounts } from '@hlp/protocol';

export function zeroCounts(): { -readonly [K in keyof OpCounts]: number } {
  return { rotations: 0, plaintextMultiplications: 0, ciphertextMultiplications: 0, relinearizations: 0, rescales: 0, additions: 0 };
}

export class CountingEvaluator {
  readonly counts = zeroCounts();
  constructor(readonly backend: CkksBackend) {}

  rotate(a: CiphertextHandle, steps: number): CiphertextHandle {
    if (steps !== 0) this.counts.rotations++;
    return this.backend.rotate(a, steps);
  }
  /** Rotations of one ciphertext (hoisted where the backend can). */
  rotateMany(a: CiphertextHandle, steps: readonly number[]): CiphertextHandle[] {
    this.counts.rotations += steps.filter((s) => s !== 0).length;
    return this.backend.rotateMany(a, steps);
  }
  /** Σ rotate(cts[i], steps[i]): a rotation per nonzero step, an addition between terms. */
  rotateSum(cts: readonly CiphertextHandle[], steps: readonly number[]): CiphertextHandle {
    const sum = this.backend.rotateSum(cts, steps);
    this.counts.rotations += steps.filter((s) => s !== 0).length;
    this.counts.additions += cts.length - 1;
    return sum;
  }
  multiplyPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    this.counts.plaintextMultiplications++;
    return this.backend.multiplyPlain(a, p);
  }
  /** Σ cts[t]·plains[t]: a plaintext multiplication per term, an addition between terms. */
  multiplyPlainAccumulate(cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle {
    const sum = this.backend.multiplyPlainAccumulate(cts, plains);
    this.counts.plaintextMultiplications += cts.length;
    this.counts.additions += cts.length - 1;
    return sum;
  }
  /** One multiplyPlainAccumulate per row of `plains` (null entries left out), counted as such. */
  multiplyPlainAccumulateGroups(cts: readonly CiphertextHandle[], plains: readonly (readonly (PlaintextHandle | null)[])[]): CiphertextHandle[] {
    const sums = this.backend.multiplyPlainAccumulateGroups(cts, plains);
    for (const row of plains) {
      const terms = row.filter((p) => p !== null).length;
      this.counts.plaintextMultiplications += terms;
      this.counts.additions += terms - 1;
    }
    return sums;
  }
  multiply(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    this.counts.ciphertextMultiplications++;
    return this.backend.multiply(a, b);
  }
  relinearize(a: CiphertextHandle): CiphertextHandle {
    this.counts.relinearizations++;
    return this.backend.relinearize(a);
  }
  rescale(a: CiphertextHandle): CiphertextHandle {
    this.counts.rescales++;
    return this.backend.rescaleToNext(a);
  }
  /**
   * rescale(multiplyPlain(a, p)) (+ addPlain of `addend`, encoded at the level below and
   * {@link rescaledScale}): one call where the backend fuses them, the three otherwise;
   * counted as the operations they are either way.
   */
  multiplyPlainRescale(a: CiphertextHandle, p: PlaintextHandle, addend?: PlaintextHandle): CiphertextHandle {
    let out: CiphertextHandle;
    if (hasFusedAffine(this.backend)) {
      out = this.backend.multiplyPlainRescale(a, p, addend);
    } else {
      const product = this.backend.multiplyPlain(a, p);
      let rescaled: CiphertextHandle;
      try {
        rescaled = this.backend.rescaleToNext(product);
      } finally {
        product.dispose();
      }
      if (addend === undefined) {
        out = rescaled;
      } else {
        try {
          out = this.backend.addPlain(rescaled, addend);
        } finally {
          rescaled.dispose();
        }
      }
    }
    this.counts.plaintextMultiplications++;
    this.counts.rescales++;
    if (addend !== undefined) this.counts.additions++;
    return out;
  }
  add(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    this.counts.additions++;
    return this.backend.add(a, b);
  }
  /** a += b in place (CkksBackend.addInPlace). */
  addInPlace(a: CiphertextHandle, b: CiphertextHandle): void {
    this.backend.addInPlace(a, b);
    this.counts.additions++;
  }
  addPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    this.counts.additions++;
    return this.backend.addPlain(a, p);
  }
  /** Level change without a rescale: not an operation the cost model counts. */
  modSwitchToNext(a: CiphertextHandle): CiphertextHandle {
    return this.backend.modSwitchToNext(a);
  }
}

interface FusedAffine {
  multiplyPlainRescale(a: CiphertextHandle, p: PlaintextHandle, addend?: PlaintextHandle): CiphertextHandle;
}

/** Whether `backend` evaluates multiply_plain + rescale (+ add_plain) in one call (the native backend does). */
export function hasFusedAffine(backend: CkksBackend): backend is CkksBackend & FusedAffine {
  return typeof (backend as Partial<FusedAffine>).multiplyPlainRescale === 'function';
}

/**
 * The scale of rescale(ct · plain) at `level` (SEAL's: the product of the scales divided by the
 * level's last prime, in that order, so the same double as the backends compute).
 */
export function rescaledScale(params: CkksParams, ciphertextScale: number, plainScale: number, level: number): number {
  return (ciphertextScale * plainScale) / primeAt(params, level);
}

/** The last prime of data level `level` (the one a rescale there divides by). */
export function primeAt(params: CkksParams, level: number): number {
  const q = params.coeffModulus[level];
  if (q === undefined) throw new ProtocolError('PARAMETER_MISMATCH', `no prime at level ${level}`);
  return Number(q);
}

/**
 * `acc + term`, consuming both (an accumulator helper): added into `acc` in place where it can
 * hold the sum (not seeded, at least term's size), else into a new ciphertext.
 */
export function addInto(ev: CountingEvaluator, acc: CiphertextHandle | null, term: CiphertextHandle): CiphertextHandle {
  if (acc === null) return term;
  try {
    if (!acc.seeded && acc.size >= term.size) {
      ev.addInPlace(acc, term);
      return acc;
    }
    const sum = ev.add(acc, term);
    acc.dispose();
    return sum;
  } finally {
    term.dispose();
  }
}
